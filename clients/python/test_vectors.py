"""The reference decoder against the published vectors (tests/vectors/consent-cookies.json)."""

import json
import pathlib
import unittest

import kelisim_consent as k

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests/vectors/consent-cookies.json").read_text("utf-8"))


def load_config(name):
    path = ROOT / "www/kelisim.config.json" if name == "demo" else ROOT / "tests/vectors" / name
    return json.loads(path.read_text("utf-8"))


class Vectors(unittest.TestCase):
    def test_every_case(self):
        self.assertGreaterEqual(len(VECTORS["cases"]), 25)
        for case in VECTORS["cases"]:
            with self.subTest(case["name"]):
                consent, why, detail = k.read_consent_with_reason(case["cookieHeader"], load_config(case["config"]), case["now"])
                self.assertEqual(consent, case["expect"])
                self.assertEqual(why, case["why"])
                self.assertEqual(detail, case["detail"])
                self.assertEqual(k.read_consent(case["cookieHeader"], load_config(case["config"]), case["now"]), case["expect"])

    def test_every_reason_is_documented(self):
        whys = {c["why"] for c in VECTORS["cases"]} - {None}
        self.assertEqual(whys, set(VECTORS["reasons"]))


class Clock(unittest.TestCase):
    def test_thirteen_months_clamp_to_the_month_end(self):
        def ms(iso):
            import datetime
            return int(datetime.datetime.fromisoformat(iso).timestamp() * 1000)
        self.assertEqual(k.to_iso(k.expires_at(ms("2025-01-31T12:00:00+00:00"))), "2026-02-28T12:00:00.000Z")
        self.assertEqual(k.to_iso(k.expires_at(ms("2027-01-31T08:30:00+00:00"))), "2028-02-29T08:30:00.000Z")
        self.assertEqual(k.to_iso(k.expires_at(ms("2025-03-15T00:00:00.250+00:00"))), "2026-04-15T00:00:00.250Z")

    def test_fnv1a_published_vector(self):
        self.assertEqual(k._fnv1a(b"a"), 0xE40C292C)
        self.assertEqual(k._fnv1a(b""), 0x811C9DC5)


if __name__ == "__main__":
    unittest.main()
