"""The shop's tests: Django's TestCase (a fresh in-memory sqlite database) and test client."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase

from .models import Order

GOOD = {"customer": "Ada", "country": "DE", "amount": 120, "express": True}


class OrderValidationTests(TestCase):
    def test_the_rule_finds_every_problem_of_an_order(self):
        order = Order(**{**GOOD, "country": "FR", "amount": 0})
        with self.assertRaises(ValidationError) as raised:
            order.full_clean()
        self.assertEqual(raised.exception.message_dict, {
            "amount": ["must be more than 0 EUR"],
            "express": ["express delivery is for Germany only"]})

    def test_a_good_order_passes(self):
        Order(**GOOD).full_clean()  # raises nothing


class AdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        # No password (force_login needs none): hashing one would slow every test.
        cls.admin = User.objects.create_superuser("admin", "admin@example.com", None)

    def setUp(self):
        self.client.force_login(self.admin)

    def test_the_admin_form_shows_the_rules_messages_and_saves_nothing(self):
        form = {**GOOD, "country": "FR", "status": "pending", "note": ""}
        answer = self.client.post("/admin/shop/order/add/", form)
        self.assertEqual(answer.status_code, 200)  # the form again, with its errors
        self.assertContains(answer, "express delivery is for Germany only")
        self.assertEqual(Order.objects.count(), 0)

    def test_the_admin_form_saves_an_order_the_rules_accept(self):
        answer = self.client.post("/admin/shop/order/add/",
                                  {**GOOD, "status": "pending", "note": ""})
        self.assertRedirects(answer, "/admin/shop/order/")
        self.assertEqual(Order.objects.get().customer, "Ada")

    def test_the_admin_action_lets_the_rules_decide_the_selected_orders(self):
        small = Order.objects.create(**GOOD)
        large = Order.objects.create(**{**GOOD, "amount": 9000})
        Order.objects.create(**GOOD)  # not selected: stays pending
        answer = self.client.post("/admin/shop/order/", {
            "action": "decide_with_rules", "_selected_action": [small.pk, large.pk]},
            follow=True)
        self.assertContains(answer, "Orders decided by the rules: 2")
        self.assertEqual([(o.status, o.note) for o in Order.objects.order_by("pk")], [
            ("approved", "within the limits"),
            ("rejected", "more than 5000 EUR needs a manual check"),
            ("pending", "")])

    def test_an_order_the_rules_cannot_decide_is_reported_and_the_others_are_decided(self):
        broken = Order.objects.create(**{**GOOD, "country": ""})  # save() does not validate
        good = Order.objects.create(**GOOD)
        answer = self.client.post("/admin/shop/order/", {
            "action": "decide_with_rules", "_selected_action": [broken.pk, good.pk]},
            follow=True)
        self.assertContains(answer, f"Order {broken.pk} of Ada: order_rules.ml:23:9: "
                                    "the country must be a two-letter code")
        self.assertContains(answer, "Orders decided by the rules: 1")
        self.assertEqual(Order.objects.get(pk=good.pk).status, "approved")


class BatchTests(TestCase):
    def test_the_nightly_batch_decides_every_pending_order_and_reports_the_broken_ones(self):
        Order.objects.create(**GOOD)
        Order.objects.create(**{**GOOD, "amount": 9000})
        broken = Order.objects.create(**{**GOOD, "country": ""})
        out, err = StringIO(), StringIO()
        call_command("decide_pending", stdout=out, stderr=err)
        self.assertEqual(out.getvalue(), "decided 2 orders, 1 could not be decided\n")
        self.assertIn(f"order {broken.pk} of Ada: the country must be a two-letter code",
                      err.getvalue())
        self.assertEqual([o.status for o in Order.objects.order_by("pk")],
                         ["approved", "rejected", "pending"])
