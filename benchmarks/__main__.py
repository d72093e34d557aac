"""`python -m benchmarks [MODEL] [--rounds N] ...`: the same as `msg bench`."""

from msg_cli.bench_command import bench

if __name__ == "__main__":
    import typer

    typer.run(bench)
