"""Which packages and files the distribution holds; everything else is in pyproject.toml.

The checkout keeps the kit's data files (policy documents, task definition templates, the image
catalogue, prices) in ``data/`` at its top; a wheel carries them inside the package, as
``bgkit/_data/``, so a plain ``pip install .`` has them. ``bgkit.data`` finds either.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["bgkit", "bgkit.*"]),
        "bgkit._data",
        *(f"bgkit._data.{name}" for name in find_namespace_packages(where="data")),
    ],
    package_dir={"bgkit._data": "data"},
    package_data={"bgkit": ["py.typed"], "bgkit._data": ["**/*"]},
)
