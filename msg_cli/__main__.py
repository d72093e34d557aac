from msg_cli.main import app

app()
