"""The hint `aduan serve` prints for running a deployment from another shell names the server
to export (a bare `prefect deployment run` starts an ephemeral server on a locked database)."""

from cli.run import another_shell_hint


def test_hint_exports_the_api_url_and_names_a_served_deployment():
    from flows.deployments import build_deployments

    deployments = build_deployments("Asia/Makassar", only={"pipeline", "forward"})
    hint = another_shell_hint("http://127.0.0.1:4321/api", deployments)
    lines = hint.splitlines()
    assert "  export PREFECT_API_URL=http://127.0.0.1:4321/api" in lines
    run = next(line for line in lines if "prefect deployment run" in line)
    assert "pipeline/aduan-pipeline" in run and "forward/aduan-forward" in run
    assert lines.index("  export PREFECT_API_URL=http://127.0.0.1:4321/api") < lines.index(run)
