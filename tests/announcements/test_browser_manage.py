"""Browser (Chromium, phone viewport 360x740): a desa operator signs in,
opens the staff announcement page, chooses a PDF for a draft in the upload
form, sends it and sees it listed; a file that is not a PDF/JPEG/PNG is
explained next to the form. Nothing overflows the phone's width."""
import tempfile

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from announcements import services
from announcements.models import Attachment
from tests.portal.conftest import browser, _chromium, console_errors, screenshot, wait  # noqa: F401

from .conftest import body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"



def _choose_and_send(browser, draft, content: bytes, suffix: str):
    with tempfile.NamedTemporaryFile(suffix=suffix, prefix="jadwal-posyandu-") as fh:
        fh.write(content)
        fh.flush()
        card = browser.find_element(By.ID, f"a-{draft.public_id}")
        card.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(fh.name)
        button = card.find_element(By.CSS_SELECTOR, "form.attach-form button[type=submit]")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        wait(browser, EC.staleness_of(card))
        return fh.name.rsplit("/", 1)[1]


def test_a_desa_operator_uploads_an_attachment_on_a_phone(browser, live_server, speakers):
    draft = services.announcement_create(user=speakers["desa"], data=body(title_id="Jadwal posyandu Desember"))
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        browser.get(live_server.url + "/masuk/?next=/pengumuman/kelola/")
        wait(browser, EC.presence_of_element_located((By.ID, "login-form")))
        browser.find_element(By.ID, "id_username").send_keys("operator_sr")
        browser.find_element(By.ID, "id_password").send_keys("rahasia-sekali-123")
        browser.find_element(By.ID, "login-submit").click()
        wait(browser, lambda d: d.current_url.split("#")[0].endswith("/pengumuman/kelola/"))
        card = browser.find_element(By.ID, f"a-{draft.public_id}")
        file_input = card.find_element(By.CSS_SELECTOR, "input[type=file]")
        assert file_input.is_displayed() and file_input.get_attribute("accept").startswith("application/pdf")
        # The form fits the phone: no horizontal scrolling, the input within the viewport.
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
        rect = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", file_input)
        assert rect["left"] >= 0 and rect["right"] <= 360
        screenshot(browser, "announcements-manage-phone")

        # A file that is not a PDF, JPEG or PNG: explained next to the form, nothing stored.
        _choose_and_send(browser, draft, b"bukan dokumen", ".txt")
        alert = wait(browser, EC.presence_of_element_located(
            (By.CSS_SELECTOR, f"#a-{draft.public_id} .error[role=alert]")))
        assert alert.get_attribute("data-code") == "unsupported_attachment" and "PDF" in alert.text
        assert not Attachment.objects.exists()
        # The browser logs the refused POST's 400 and nothing else.
        assert [e["message"].split(" - ")[-1] for e in console_errors(browser)] == \
            ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]

        name = _choose_and_send(browser, draft, PDF, ".pdf")
        wait(browser, lambda d: name in d.find_element(By.ID, f"a-{draft.public_id}").text)
        assert browser.find_element(By.CSS_SELECTOR, "p.msg.success").text == f"Lampiran {name} diunggah."
        stored = Attachment.objects.get(announcement=draft)
        assert stored.name == name and stored.content_type == "application/pdf"
        link = browser.find_element(By.CSS_SELECTOR, f"#a-{draft.public_id} .attachments a")
        assert link.get_attribute("href").endswith(stored.file.url)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
        screenshot(browser, "announcements-manage-uploaded-phone")
        assert console_errors(browser) == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
