"""The cost calculator (scripts/cost.sh): what it reads from the units file
and template.yaml, its arithmetic, and the lines it ends with.

    python3 -m unittest discover -s scripts/cost   (scripts/test.sh runs it)
"""

import contextlib
import io
import json
import re
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import cost  # noqa: E402
import model  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
UNITS = json.loads((ROOT / "scripts" / "cost" / "units.json").read_text(encoding="utf-8"))
SETTINGS = cost.template_settings(cost.load_template(ROOT / "template.yaml"))
BEFORE = ROOT / "scripts" / "template" / "fixtures" / "template-before.yaml"
FINAL = re.compile(r"^per million events, 1 subscriber, (.+): \$(\d+\.\d\d)$")


def run(*argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cost.main(list(argv))
    return out.getvalue().splitlines()


class UnitsFile(unittest.TestCase):
    """The units file agrees with what the capacity test asserts (that test,
    in every `cargo test`, also fails unless the file is what it measured)."""

    def test_the_units_file_holds_the_figures_the_capacity_test_asserts(self):
        source = (ROOT / "shared" / "tests" / "capacity.rs").read_text(encoding="utf-8")
        asserted = {name: float(v) for name, v in re.findall(r"const (\w+): f64 = ([0-9.]+);", source)}
        self.assertEqual(UNITS["event_today_wcu"], asserted["STORED_EVENT_BILLED_WCU"])
        self.assertEqual(UNITS["event_proposed_wcu"], asserted["PROPOSED_EVENT_WCU"])
        self.assertEqual(UNITS["snapshot_page_wcu"], asserted["SNAPSHOT_PAGE_WCU"])
        self.assertIn("COST_UNITS_WRITE", source)

    def test_it_holds_every_figure_the_model_prices(self):
        for key in ("event_today_wcu", "event_proposed_wcu", "event_item_wcu", "fanout_lookup_rcu", "source"):
            self.assertIn(key, UNITS)
        self.assertEqual(set(UNITS["fanout_lookup_rcu"]) >= {str(n) for n in cost.SUBSCRIBERS}, True)
        self.assertGreater(UNITS["event_item_wcu"]["counter"], 0)


class TemplateSettings(unittest.TestCase):
    def test_memory_comes_from_the_globals_unless_a_function_sets_its_own(self):
        self.assertEqual(SETTINGS["memory"]["WebhookFunction"], 256)
        self.assertEqual(SETTINGS["memory"]["FanoutFunction"], 256)
        self.assertEqual(SETTINGS["memory"]["PollerFunction"], 512)

    def test_the_scaling_target_and_minimum_capacities_are_the_templates(self):
        self.assertEqual(SETTINGS["utilisation"], 0.70)
        self.assertEqual(SETTINGS["default_mode"], "on-demand")
        # 6 scalable targets per dimension (3 tables, 3 indexes) at TableMinCapacity's default 5.
        self.assertEqual((SETTINGS["min_wcu"], SETTINGS["min_rcu"]), (30, 30))

    def test_the_default_front_door_is_the_templates(self):
        self.assertEqual(SETTINGS["default_front"], "HTTP API")
        template = cost.load_template(cost.ROOT / "template.yaml")
        template["Parameters"]["WebhookFrontDoor"]["Default"] = "function-url"
        self.assertEqual(cost.template_settings(template)["default_front"], "function URL")

    def test_a_front_door_the_model_cannot_price_is_refused(self):
        template = cost.load_template(cost.ROOT / "template.yaml")
        template["Parameters"]["WebhookFrontDoor"]["AllowedValues"].append("alb")
        with self.assertRaises(ValueError):
            cost.template_settings(template)

    def test_a_template_without_the_capacity_mode_is_refused(self):
        with self.assertRaises(KeyError):
            cost.template_settings(cost.load_template(BEFORE))


class Arithmetic(unittest.TestCase):
    def test_on_demand_writes_of_todays_transaction_are_six_units_at_list_price(self):
        rows = dict(model.terms(model.Configuration("today", "HTTP API", "on-demand"), 1, UNITS, SETTINGS))
        self.assertAlmostEqual(rows["DynamoDB writes"], 6 * 0.625)
        self.assertAlmostEqual(rows["HTTP API request (webhook)"], 1.00)
        self.assertAlmostEqual(rows["WebSocket messages"], 1.00)
        self.assertAlmostEqual(rows["subscriber lookup (reads)"], 0.5 * 0.125)

    def test_provisioned_units_are_priced_at_the_target_utilisation(self):
        rows = dict(model.terms(model.Configuration("proposed", "function URL", "provisioned"), 100, UNITS, SETTINGS))
        # The keyed put (2) and the consumer's share: a transaction per batch
        # of 10, its mark (1) and one counter per event (1), billed twice.
        self.assertAlmostEqual(rows["DynamoDB writes"], (2 + 2 * (1 / 10 + 1)) * 0.00065 / (3600 * 0.7) * 1e6)
        self.assertEqual(rows["HTTP API request (webhook)"], 0.0)
        self.assertAlmostEqual(rows["WebSocket messages"], 100.0)
        self.assertIn("counting stream consumer Lambda", rows)

    def test_the_counting_consumers_share_is_its_measured_chunk_items_billed_twice(self):
        self.assertEqual(UNITS["count_chunk_item_wcu"], {"mark": 1.0, "counter": 1.0})
        self.assertAlmostEqual(model.counting_units(UNITS, 1), 4.0)
        self.assertAlmostEqual(model.counting_units(UNITS, 1000), 2.002)
        self.assertAlmostEqual(model.write_units(UNITS, "proposed", 10), 4.2)

    def test_duration_slows_cpu_below_one_vcpu_and_rounds_up_to_a_millisecond(self):
        self.assertEqual(model.duration_ms(1.0, 10.0, 1769), 11)
        self.assertEqual(model.duration_ms(1.0, 10.0, 3538), 11)
        self.assertEqual(model.duration_ms(1.0, 10.0, 128), 24)  # 13.8 ms of CPU
        self.assertEqual(model.duration_ms(0.0, 0.0, 128), 1)

    def test_at_the_break_even_rate_both_modes_cost_the_same(self):
        rate = model.break_even_events_per_second(UNITS, "today", 1, SETTINGS)
        od_w, od_r = model.unit_prices("on-demand", SETTINGS["utilisation"])
        pv_w, pv_r = model.unit_prices("provisioned", SETTINGS["utilisation"])
        wcu, rcu = UNITS["event_today_wcu"], UNITS["fanout_lookup_rcu"]["1"]
        on_demand = rate * (wcu * od_w + rcu * od_r)
        floor = (SETTINGS["min_wcu"] * 0.00065 + SETTINGS["min_rcu"] * 0.00013) / 3600
        provisioned = floor + rate * (wcu * pv_w + rcu * pv_r)
        self.assertAlmostEqual(on_demand, provisioned)

    def test_an_unmeasured_audience_is_not_invented(self):
        with self.assertRaises(KeyError):
            model.lookup_rcu(UNITS, 7)


class Output(unittest.TestCase):
    def test_it_ends_with_one_line_per_configuration(self):
        lines = run()
        configs = list(cost.configurations())
        tail = lines[-len(configs):]
        matches = [FINAL.match(line) for line in tail]
        self.assertTrue(all(matches), tail)
        self.assertEqual([m.group(1) for m in matches], [c.name() for c in configs])
        default = next(m for m in matches if m.group(1) == "keyed put + stream-counted day counts, HTTP API, on-demand")
        self.assertGreater(float(default.group(2)), 2.0)
        self.assertIn("default configuration: keyed put + stream-counted day counts, HTTP API, on-demand", lines)

    def test_docs_costs_quotes_the_final_lines_as_printed(self):
        doc = (ROOT / "docs" / "costs.md").read_text(encoding="utf-8")
        for line in run():
            if FINAL.match(line):
                self.assertIn(line + "\n", doc)

    def test_every_assumption_is_printed_with_the_table(self):
        text = "\n".join(run())
        for what in ("units:", "prices", "70% utilisation", "memory (template.yaml)", "handler CPU", "round trip", "one WebSocket message per event per subscriber"):
            self.assertIn(what, text)

    def test_it_prices_the_units_file_it_is_given(self):
        doubled = dict(UNITS, event_today_wcu=UNITS["event_today_wcu"] * 2)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "units.json"
            path.write_text(json.dumps(doubled), encoding="utf-8")
            before = {FINAL.match(line).group(1): float(FINAL.match(line).group(2)) for line in run() if FINAL.match(line)}
            after = {FINAL.match(line).group(1): float(FINAL.match(line).group(2)) for line in run("--units", str(path)) if FINAL.match(line)}
        name = "old write (one transaction), HTTP API, on-demand"
        self.assertAlmostEqual(after[name] - before[name], 3.75, places=1)


if __name__ == "__main__":
    unittest.main()
