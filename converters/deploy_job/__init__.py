"""`msg deploy`: the main job, a list of steps from a model spec to one folder of phone models."""

from converters.deploy_job.pipeline import DEFAULT_STEPS, DeployOptions, DeployResult, DeployState, Step, run_deploy

__all__ = ["DEFAULT_STEPS", "DeployOptions", "DeployResult", "DeployState", "Step", "run_deploy"]
