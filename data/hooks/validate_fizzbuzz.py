"""An AfterAllowTestTraffic hook: test the new revision on the test listener before it gets traffic.

CodeDeploy invokes this function with ``DeploymentId`` and ``LifecycleEventHookExecutionId`` once
the test listener serves the replacement task set. It asks the test listener for FizzBuzz's
answers — its address is the environment variable ``TEST_URL``: the load balancer's DNS name and
test port on AWS (``http://<alb dns name>:8080``), the local listener here — compares them with
FizzBuzz's rules, prints what it found (the function's log) and tells CodeDeploy ``Succeeded`` or
``Failed`` with ``PutLifecycleEventHookExecutionStatus``. ``Failed`` fails the deployment, and
CodeDeploy rolls it back when the deployment group says so: production traffic never reaches the
new revision.

Standard library and boto3 only, as in AWS's Python runtime.
"""

import os
import urllib.error
import urllib.request

import boto3

#: the numbers checked: every case of FizzBuzz appears in 1..15
NUMBERS = range(1, 16)


def expected(n):
    """FizzBuzz's answer for ``n``."""
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        return "Fizz"
    if n % 5 == 0:
        return "Buzz"
    return str(n)


def check(url):
    """The wrong answers of the service at ``url``: a list of sentences, empty when all is
    right."""
    wrong = []
    for n in NUMBERS:
        try:
            with urllib.request.urlopen(f"{url}/fizzbuzz/{n}", timeout=5) as answer:
                got = answer.read().decode()
        except (urllib.error.URLError, OSError) as error:
            wrong.append(f"GET /fizzbuzz/{n} failed: {error}")
            continue
        if got != expected(n):
            wrong.append(f"GET /fizzbuzz/{n} answered {got!r}, expected {expected(n)!r}")
    return wrong


def handler(event, context):
    url = os.environ["TEST_URL"].rstrip("/")
    wrong = check(url)
    for line in wrong:
        print(line)
    status = "Failed" if wrong else "Succeeded"
    print(f"{url}: {len(NUMBERS) - len(wrong)} of {len(NUMBERS)} answers right -> {status}")
    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return {"status": status, "wrong": wrong}
