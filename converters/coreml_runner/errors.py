"""Errors of the reference runner."""

from __future__ import annotations

from msg_model.errors import InvalidInputError


class UnsupportedOperationError(InvalidInputError):
    """An operation, or a parameter value of one, that the reference runner does not implement.

    The message is one line that names the op type, its output and its place in the program.
    """


def unsupported_operation(operation, detail: str | None = None) -> UnsupportedOperationError:
    """Build the one-line error for `operation` (a `program.Operation`); `detail` names the unsupported parameter."""
    import coremltools

    what = f"MIL op '{operation.type}'" + (f" with {detail}" if detail else "")
    output = operation.outputs[0].name if operation.outputs else operation.name
    return UnsupportedOperationError(
        f"the reference runner (Linux) does not implement {what} "
        f"(output '{output}', {operation.location}; coremltools {coremltools.__version__}); "
        "run the model with coremltools on macOS, or convert it so that it avoids this op"
    )
