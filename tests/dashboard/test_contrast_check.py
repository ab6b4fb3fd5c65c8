"""The contrast check itself catches low-contrast text and passes good text (so the page tests can fail)."""

from tests.dashboard.contrast import contrast_failures


def test_contrast_check_finds_light_grey_text_and_passes_dark_text(browser):
    page = browser.new_page()
    page.set_content('<body style="background:#fff"><p id="ok" style="color:#4b5563">可读 readable</p>'
                     '<p style="color:#a3a3a3">太浅 too light</p>'
                     '<div style="background:#166534"><b style="color:#fff">白字 white on green</b></div>'
                     '<h1 style="font-size:30px;color:#8a8a8a">大字 large</h1></body>')
    failures = contrast_failures(page)
    assert len(failures) == 1 and "太浅" in failures[0]
    page.close()
