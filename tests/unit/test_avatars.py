"""Profile pictures come from Logto, where people set them to anything: only https images."""

from __future__ import annotations

import pytest

from orgportal.templatetags.portal import image_url


@pytest.mark.parametrize(
    "url",
    [
        "https://pictures.example.com/a.png",
        "HTTPS://pictures.example.com/a.png?size=64#x",
        "https://[2001:db8::1]/a.png",
    ],
)
def test_https_pictures_are_shown(url):
    assert image_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "javascript:alert(1)",
        " javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "http://tracker.example.com/pixel.gif",
        "//tracker.example.com/pixel.gif",
        "/media/a.png",
        "https:pixel.gif",
        "https:///pixel.gif",
        "https://pictures.example.com/a.png\n",
        "https://pictures.example.com/a b.png",
        "https://[::1/a.png",
        "vbscript:msgbox",
        "https://pictures.example.com/" + "a" * 2048,
    ],
)
def test_anything_else_falls_back_to_the_initial(url):
    assert image_url(url) == ""
