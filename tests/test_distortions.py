"""cyclegan_lab.judging.distortions: the low-pass filter removes the finest octave and leaves wider patterns
(measured with judging.scores' fine_detail and radial_power, on real photos: conftest.py's `images`).
"""

import numpy as np

from cyclegan_lab.judging.scores import fine_detail, radial_power


def test_low_pass_removes_the_finest_octave_and_leaves_wider_patterns(images):
    from cyclegan_lab.judging.distortions import low_pass

    _, photo = images
    rows, columns = np.indices(photo.shape[1:3])
    coarse = np.clip(photo.astype(int) + np.where((rows // 4 + columns // 4) % 2, 20, -20)[None, :, :, None], 0, 255)
    fine = np.clip(coarse + np.where((rows + columns) % 2, 20, -20)[None, :, :, None], 0, 255).astype(np.uint8)
    filtered = low_pass(fine, cutoff=0.4)
    assert filtered.shape == fine.shape and filtered.dtype == np.uint8
    assert fine_detail(filtered, photo) < 0.25  # the chequerboard and the photos' own finest detail are gone
    assert fine_detail(fine, photo) > 10
    frequencies, before = radial_power(fine)
    _, after = radial_power(filtered)
    wide = frequencies < 0.3  # the 8-pixel squares (1/8 cycle per pixel) and the photo's shapes stay
    np.testing.assert_allclose(after[wide], before[wide], rtol=0.05)
    assert (after[frequencies > 0.42] < 0.05 * before[frequencies > 0.42]).all()
