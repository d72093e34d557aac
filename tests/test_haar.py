import pytest
import torch

from msg_model.haar import haar_dwt, haar_idwt, split_wavelet_channels, wavelet_channels_to_image

pytorch_wavelets = pytest.importorskip("pytorch_wavelets")


def test_round_trip_is_exact():
    image = torch.randn(2, 3, 32, 48)

    low, high = haar_dwt(image)

    assert (haar_idwt(low, high) - image).abs().mean() < 1e-6


def test_forward_matches_pytorch_wavelets():
    image = torch.randn(2, 5, 16, 16)
    reference_low, reference_high = pytorch_wavelets.DWTForward(J=1, wave="db1", mode="zero")(image)

    low, high = haar_dwt(image)

    assert torch.allclose(low, reference_low, atol=1e-6)
    assert torch.allclose(high, reference_high[0], atol=1e-6)


def test_inverse_matches_pytorch_wavelets():
    low = torch.randn(2, 4, 8, 8)
    high = torch.randn(2, 4, 3, 8, 8)
    reference = pytorch_wavelets.DWTInverse(wave="db1", mode="zero")((low, [high]))

    assert torch.allclose(haar_idwt(low, high), reference, atol=1e-6)


def test_official_channel_layout():
    x = torch.randn(1, 12, 4, 4)
    low, high = split_wavelet_channels(x)
    reference = pytorch_wavelets.DWTInverse(wave="db1", mode="zero")((x[:, :3], [x[:, 3:].view(1, 3, 3, 4, 4)]))

    assert low.shape == (1, 3, 4, 4)
    assert high.shape == (1, 3, 3, 4, 4)
    assert torch.allclose(wavelet_channels_to_image(x), reference, atol=1e-6)


def test_odd_size_rejected():
    with pytest.raises(ValueError, match=r"even H and W, got \(1, 1, 5, 4\)"):
        haar_dwt(torch.zeros(1, 1, 5, 4))
