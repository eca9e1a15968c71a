"""Live development and the function tools: `cloudlet dev`, `cloudlet invoke`,
`cloudlet logs` (the commands are in commands.py, registered by cloudlet/cli.py)."""

# The kinds of `cloudlet invoke --generate`, here so the CLI can offer them without
# importing the generators (events.py checks it names exactly its generators).
EVENT_KINDS = (
    "sqs",
    "sns",
    "apigw-rest",
    "apigw-http",
    "s3",
    "dynamodb",
    "eventbridge",
    "schedule",
)
