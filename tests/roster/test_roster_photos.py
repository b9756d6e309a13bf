"""ID photo normalisation: size, EXIF rotation, and the files that must be refused."""

from __future__ import annotations

import pytest
from PIL import Image

from pipeline.exams.photos import ID_PHOTO_SIZE, PhotoJob, PhotoProblem, normalise, normalise_all, normalise_to
from tests.roster.conftest import jpeg_bytes, png_header_only


def _upright_red_over_blue(size=(600, 800)) -> Image.Image:
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0], size[1] // 2))
    return image


def _is_red(pixel) -> bool:
    return pixel[0] > 200 and pixel[2] < 60


def _is_blue(pixel) -> bool:
    return pixel[2] > 200 and pixel[0] < 60


@pytest.mark.parametrize("orientation,stored_as", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270),
                                                   (3, Image.Transpose.ROTATE_180)])
def test_exif_orientation_is_applied(tmp_path, orientation, stored_as):
    exif = Image.Exif()
    exif[0x0112] = orientation
    source = tmp_path / "phone.jpg"
    _upright_red_over_blue().transpose(stored_as).save(source, "JPEG", quality=95, exif=exif)
    target = normalise_to(source, tmp_path / "out" / "202612DG40001.jpg")
    with Image.open(target) as result:
        assert (result.format, result.size) == ("JPEG", ID_PHOTO_SIZE)
        assert result.getexif().get(0x0112) in (None, 1)      # no tag left to rotate it twice
        assert _is_red(result.getpixel((20, 20))) and _is_red(result.getpixel((275, 20)))
        assert _is_blue(result.getpixel((20, 400))) and _is_blue(result.getpixel((275, 400)))


def test_large_photo_is_scaled_and_transparent_png_gets_white_background(tmp_path):
    big = tmp_path / "big.jpg"
    _upright_red_over_blue((3000, 4000)).save(big, "JPEG", quality=80)
    assert normalise(big).size == ID_PHOTO_SIZE
    png = tmp_path / "cutout.png"
    Image.new("RGBA", (300, 420), (0, 0, 0, 0)).save(png)
    assert normalise(png).getpixel((10, 10)) == (255, 255, 255)


def _problem(path) -> PhotoProblem:
    with pytest.raises(PhotoProblem) as caught:
        normalise(path)
    return caught.value


def test_text_file_named_jpg_is_not_an_image(tmp_path):
    path = tmp_path / "张三.jpg"
    path.write_text("这不是照片，是一份说明。\n", encoding="utf-8")
    problem = _problem(path)
    assert problem.code == "photo_not_image" and "张三.jpg" in str(problem) and "扩展名" in str(problem)


def test_truncated_jpeg_is_refused_even_when_another_library_allows_truncated_images(tmp_path, monkeypatch):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)     # what `import weasyprint` does
    data = jpeg_bytes((600, 800))
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    problem = _problem(path)
    assert problem.code == "photo_truncated" and "不完整" in str(problem)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True                      # restored afterwards


@pytest.mark.parametrize("side", [30000, 10000])   # above twice Pillow's limit (error) and just above it (warning)
def test_decompression_bomb_is_refused_without_decoding(tmp_path, side):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(side, side))
    assert path.stat().st_size < 100
    problem = _problem(path)
    assert problem.code == "photo_too_large" and "bomb.png" in str(problem)


def test_missing_file(tmp_path):
    problem = _problem(tmp_path / "photos" / "nobody.jpg")
    assert problem.code == "photo_not_found" and "nobody.jpg" in str(problem)


def test_normalise_all_reports_each_file_and_keeps_going(tmp_path):
    good = tmp_path / "good.jpg"
    good.write_bytes(jpeg_bytes())
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    jobs = [PhotoJob(n, good if n % 3 else bad, tmp_path / "out" / f"{n}.jpg") for n in range(40)]
    seen = []
    results = normalise_all(jobs, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert [r.key for r in results] == list(range(40))
    assert {r.key for r in results if r.problem} == set(range(0, 40, 3))
    assert all(r.target.is_file() for r in results if not r.problem)
    assert seen[-1] == (40, 40)
