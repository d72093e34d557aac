"""Exceptions for input a user can fix; the CLI prints them as one line."""


class InvalidInputError(ValueError):
    """Bad input from the user: the message names the value and what to do instead."""


class CheckpointError(InvalidInputError):
    """A checkpoint file that cannot be loaded as a MobileStyleGAN generator."""
