#!/usr/bin/python3
"""The review station (claimq review) in a real browser: Debian's chromium
driven by selenium through chromedriver, headless, with fresh profiles under
--out. tests/integration/it_review.c starts a cluster and the station, then
runs this script.

--mode ocr: a wrong password is refused without saying which part was wrong;
sign in; every response carries no-store, DENY and a 'self'-only policy and
the cookies are HttpOnly and SameSite=Strict; open the oldest pended claim;
the first unsure field has the focus; a second reviewer of the same payer
sees it taken and gets no release form; a POST without the CSRF token is
refused (403); a reviewer of another payer sees an empty queue and gets 404
for the claim, as for a claim that does not exist; a session ends at sign-out;
a value that breaks its field's rules is refused by name and nothing is
released; the unsure fields are corrected from --truth (Enter from field to
field) and Ctrl+Enter releases. Prints {"claim_id", "changed": [field...]}.

--mode duplicate: sign in; the queue counts a suspect duplicate; open it; it
is shown beside the earlier claim; N ("not a duplicate") releases it and the
queue is empty. Prints {"claim_id"}.

Screenshots go to --out. Exits non-zero on any failure, saying what failed.
"""
import argparse
import json
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 60  # seconds for a page to appear (a first OCR read takes ~2 s)


def browser(profile):
    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--window-size=1600,1300", "--user-data-dir=" + profile):
        o.add_argument(a)
    o.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def wait_id(d, ident):
    return WebDriverWait(d, WAIT).until(
        EC.presence_of_element_located((By.ID, ident)))


def sign_in(d, url, user, password):
    d.get(url)
    wait_id(d, "user").send_keys(user)
    d.find_element(By.ID, "password").send_keys(password)
    d.find_element(By.ID, "signin-btn").click()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, cookie=None, data=None):
    """(status, headers) of one request, redirects not followed."""
    req = urllib.request.Request(
        url, data=data.encode() if data is not None else None,
        method="POST" if data is not None else "GET")
    if cookie:
        req.add_header("Cookie", cookie)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=WAIT) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def check_headers(what, headers):
    check(headers.get("Cache-Control") == "no-store", what + ": no-store")
    check(headers.get("X-Frame-Options") == "DENY", what + ": X-Frame-Options")
    csp = headers.get("Content-Security-Policy") or ""
    check("default-src 'self'" in csp and "script-src 'self'" in csp
          and "unsafe-inline" not in csp, what + ": CSP " + csp)


def session_cookie(d):
    c = d.get_cookie("cqr_session")
    check(c is not None, "no session cookie")
    check(c.get("httpOnly") and c.get("sameSite") == "Strict",
          "session cookie flags: %r" % c)
    return "cqr_session=" + c["value"]


def mode_ocr(a, url):
    truth = json.load(open(a.truth))
    d = browser(a.out + "/profile-1")
    d2 = browser(a.out + "/profile-2")
    try:
        # every response: no-store, no framing, 'self' only
        st, h = fetch(url + "login")
        check(st == 200, "GET /login: %d" % st)
        check_headers("/login", h)
        pre = h.get("Set-Cookie") or ""
        check("HttpOnly" in pre and "SameSite=Strict" in pre
              and "Secure" not in pre, "sign-in cookie: " + pre)
        st, h = fetch(url + "app.js")
        check(st == 200, "GET /app.js: %d" % st)
        check_headers("/app.js", h)
        st, h = fetch(url)
        check(st == 303 and h.get("Location") == "/login",
              "signed out, / goes to /login: %d %s" % (st, h.get("Location")))

        # a wrong password is refused, without saying which part was wrong
        sign_in(d, url, a.user, a.password + "-wrong")
        msg = wait_id(d, "message")
        check("Wrong name or password" in msg.text, "wrong password: " + msg.text)
        check(d.find_elements(By.ID, "queue") == [], "signed in anyway")
        d.save_screenshot(a.out + "/signin-refused.png")
        # an unknown name gets the very same words
        sign_in(d, url, "nobody-" + a.user, a.password)
        check("Wrong name or password" in wait_id(d, "message").text,
              "unknown name")

        sign_in(d, url, a.user, a.password)
        wait_id(d, "queue")
        check(int(d.find_element(By.ID, "total").text) >= 1, "empty queue")
        check(d.find_element(By.ID, "n-ocr").text == "1", "OCR count")
        d.save_screenshot(a.out + "/queue.png")
        session = session_cookie(d)
        st, h = fetch(url, session)
        check(st == 200, "GET / signed in: %d" % st)
        check_headers("/", h)

        d.find_element(By.ID, "open-oldest").click()
        wait_id(d, "release")
        claim_path = d.current_url[len(url) - 1:]
        claim_id = d.find_element(By.ID, "claim-id").text
        # the first unsure field has the focus
        active = d.switch_to.active_element
        check("field" in (active.get_attribute("class") or ""),
              "focus is not on a field")
        check(active.find_element(By.XPATH, "./ancestor::tr")
              .get_attribute("class") == "unsure",
              "focus not on an unsure field")
        st, h = fetch(url.rstrip("/") + claim_path + "/page.png", session)
        check(st == 200 and h.get("Content-Type") == "image/png",
              "page image: %d" % st)
        check_headers("page.png", h)
        d.save_screenshot(a.out + "/claim.png")

        # a second reviewer of the same payer sees it taken, no form
        user2, pw2 = a.second.split(":", 1)
        sign_in(d2, url, user2, pw2)
        wait_id(d2, "queue")
        d2.get(url.rstrip("/") + claim_path)
        taken = wait_id(d2, "taken")
        check(("Taken by " + a.user) in taken.text, "taken by: " + taken.text)
        check(d2.find_elements(By.ID, "release") == [], "a release form shown")
        d2.save_screenshot(a.out + "/claim-taken.png")

        # a POST without the CSRF token is refused, and so is a wrong one
        release = url.rstrip("/") + claim_path + "/release"
        st, _ = fetch(release, session, "action=corrected&token=1")
        check(st == 403, "POST without CSRF: %d" % st)
        st, _ = fetch(release, session, "action=corrected&token=1&csrf=" +
                      "0" * 64)
        check(st == 403, "POST with a wrong CSRF token: %d" % st)

        # a reviewer of another payer: an empty queue, and the claim is
        # "not found" exactly as one that does not exist
        out_user, out_pw = a.outsider.split(":", 1)
        d2.find_element(By.ID, "signout").click()
        wait_id(d2, "user")
        sign_in(d2, url, out_user, out_pw)
        wait_id(d2, "queue")
        check(d2.find_element(By.ID, "total").text == "0",
              "outsider sees claims")
        other = session_cookie(d2)
        st, _ = fetch(url.rstrip("/") + claim_path, other)
        check(st == 404, "outsider opened the claim: %d" % st)
        st, _ = fetch(url + "claim/987654321", other)
        check(st == 404, "a claim that does not exist: %d" % st)
        st, _ = fetch(url.rstrip("/") + claim_path + "/page.png", other)
        check(st == 404, "outsider got the page image: %d" % st)
        # sign-out ends the session: its cookie opens nothing any more
        d2.find_element(By.ID, "signout").click()
        wait_id(d2, "user")
        st, h = fetch(url, other)
        check(st == 303 and h.get("Location") == "/login",
              "a signed-out session still works: %d" % st)

        # values that break the field's rules (a character no form has;
        # the OCR's own check: a stray hyphen): the page says which field
        # and why, keeps what was typed, and nothing is released
        for bad in ("?!?", "W1-"):
            first = d.switch_to.active_element
            bad_field = first.get_attribute("data-field")
            first.send_keys(Keys.CONTROL, "a")
            first.send_keys(Keys.DELETE)
            first.send_keys(bad)
            first.send_keys(Keys.CONTROL, Keys.ENTER)
            WebDriverWait(d, WAIT).until(
                lambda x: x.find_elements(By.ID, "message"))
            msg = d.find_element(By.ID, "message").text
            check(bad_field in msg and "Not released" in msg,
                  "refused release: " + msg)
            check(d.find_element(By.ID, "f-" + bad_field)
                  .get_attribute("value") == bad,
                  "what was typed is not shown again")
            check(d.find_elements(By.ID, "release"), "no release form")
            d.save_screenshot(a.out + "/release-refused.png")
            st, _ = fetch(url.rstrip("/") + claim_path, session)
            check(st == 200, "the claim no longer waits after a refusal")

        # correct the unsure fields from the truth, Enter from field to
        # field, then Ctrl+Enter releases
        changed = []
        rows = d.find_elements(By.CSS_SELECTOR, "#fields tbody tr.unsure")
        check(rows, "no unsure field")
        for row in rows:
            inp = row.find_element(By.CSS_SELECTOR, "input.field")
            check(d.switch_to.active_element == inp,
                  "Enter did not move to the next unsure field")
            name = inp.get_attribute("data-field")
            want = truth.get(name, "")
            if inp.get_attribute("value") != want:
                inp.send_keys(Keys.CONTROL, "a")
                inp.send_keys(Keys.DELETE)
                inp.send_keys(want)
                changed.append(name)
            inp.send_keys(Keys.ENTER)
        check(changed, "nothing to correct")
        d.switch_to.active_element.send_keys(Keys.CONTROL, Keys.ENTER)
        # the next claim, or the queue when there is none
        WebDriverWait(d, WAIT).until(
            lambda x: x.find_elements(By.ID, "queue")
            or (x.find_elements(By.ID, "claim-id")
                and x.find_element(By.ID, "claim-id").text != claim_id))
        errs = d.find_elements(By.ID, "message")
        check(not errs, "release refused: " + (errs[0].text if errs else ""))
        d.save_screenshot(a.out + "/after-release.png")
        # released: the claim waits no more
        st, _ = fetch(url.rstrip("/") + claim_path, session)
        check(st == 404, "the released claim still opens: %d" % st)
        print(json.dumps({"claim_id": claim_id, "changed": changed}))
    finally:
        d.quit()
        d2.quit()


def mode_duplicate(a, url):
    d = browser(a.out + "/profile-3")
    try:
        sign_in(d, url, a.user, a.password)
        wait_id(d, "queue")
        check(d.find_element(By.ID, "n-duplicate").text == "1",
              "no suspect duplicate counted")
        d.find_element(By.ID, "open-oldest").click()
        wait_id(d, "compare")
        claim_id = d.find_element(By.ID, "claim-id").text
        check(d.find_element(By.ID, "kind").text == "duplicate",
              "kind: " + d.find_element(By.ID, "kind").text)
        head = d.find_element(By.CSS_SELECTOR, "#compare thead").text
        check("This claim" in head and "The earlier claim" in head,
              "not side by side: " + head)
        check(d.find_elements(By.CSS_SELECTOR, "#compare td.same"),
              "nothing the two claims share is marked")
        check(d.find_elements(By.ID, "dup-btn")
              and d.find_elements(By.ID, "notdup-btn"), "the two buttons")
        d.save_screenshot(a.out + "/duplicate.png")
        ActionChains(d).send_keys("n").perform()
        wait_id(d, "empty")
        check(d.find_element(By.ID, "total").text == "0", "still waiting")
        print(json.dumps({"claim_id": claim_id}))
    finally:
        d.quit()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--mode", choices=("ocr", "duplicate"), default="ocr")
    p.add_argument("--truth", help="JSON: field -> value (ocr)")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--second", help="NAME:PASSWORD, same tenant (ocr)")
    p.add_argument("--outsider", help="NAME:PASSWORD, another tenant (ocr)")
    a = p.parse_args()
    url = a.url.rstrip("/") + "/"
    if a.mode == "ocr":
        mode_ocr(a, url)
    else:
        mode_duplicate(a, url)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("review.py: " + str(e), file=sys.stderr)
        sys.exit(1)
