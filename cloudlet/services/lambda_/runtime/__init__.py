"""Lambda execution environments: the Runtime API, the processes that run functions,
and the pool that reuses them.

`python_runtime.py` and `zygote.py` run *inside* function processes, with only the
standard library and the AWS-provided packages (boto3, botocore) on their path; they
must not import cloudlet.
"""
