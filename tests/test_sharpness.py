"""lrlib.sharpness.top_eigenvalue against the exact eigenvalues of a quadratic."""

import pytest
import torch

from lrlib.sharpness import top_eigenvalue


def _quadratic(eigs):
    q, _ = torch.linalg.qr(
        torch.randn(
            len(eigs),
            len(eigs),
            generator=torch.Generator().manual_seed(1),
            dtype=torch.float64,
        )
    )
    a = q @ torch.diag(torch.tensor(eigs, dtype=torch.float64)) @ q.T
    x = torch.zeros(len(eigs), dtype=torch.float64, requires_grad=True)
    return a, x, (lambda: 0.5 * x @ a @ x + x.sum())


def test_top_eigenvalue_of_a_quadratic():
    a, x, loss = _quadratic([5.0, 2.0, 1.0, 0.5, 0.1])
    exact = float(torch.linalg.eigvalsh(a).max())
    assert top_eigenvalue(loss, [x], iterations=200) == pytest.approx(exact, rel=1e-9)


def test_preconditioned_eigenvalue():
    a, x, loss = _quadratic([3.0, 1.0, 0.2])
    d = torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64)
    exact = float(torch.linalg.eigvals(torch.diag(d) @ a).real.max())
    got = top_eigenvalue(loss, [x], iterations=300, precondition=[d])
    assert got == pytest.approx(exact, rel=1e-9)


def test_bad_arguments():
    _, x, loss = _quadratic([1.0, 2.0])
    with pytest.raises(TypeError):
        top_eigenvalue(3, [x])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        top_eigenvalue(loss, x)
    with pytest.raises(ValueError):
        top_eigenvalue(loss, [])
    with pytest.raises(ValueError):
        top_eigenvalue(loss, [x], iterations=0)
    with pytest.raises(ValueError, match="iterations"):
        top_eigenvalue(loss, [x], iterations=2**63)
    with pytest.raises(TypeError, match="precondition"):
        top_eigenvalue(loss, [x], precondition=0.5)
    with pytest.raises(ValueError):
        top_eigenvalue(loss, [x], precondition=[torch.zeros(2, dtype=torch.float64)])
    with pytest.raises(ValueError):
        top_eigenvalue(loss, [torch.zeros(2)])
