from django.core.management import call_command


def test_the_simulator_command_serves_and_reports(settings, capsys):
    settings.EXCHANGE_12345_SECRET = "demo"
    call_command("exchange_simulator", "--port", "0", "--orders", "0", "--seconds", "0.2")
    out = capsys.readouterr().out
    assert "12345 platform at http://127.0.0.1:" in out and "taken by the platform" in out
