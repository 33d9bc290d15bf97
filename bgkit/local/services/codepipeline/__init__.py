"""CodePipeline on the local cloud: pipelines, their executions on the local clock, and the S3
source, manual approval and CodeDeploy-to-ECS actions."""
