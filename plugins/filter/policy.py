# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the access policy (sso_policy): check it, evaluate it on an access review, and render its report.

The work is in plugin_utils/_policy.py (the check and the evaluation) and plugin_utils/_policy_reports.py
(SARIF, JUnit XML); the Markdown comes from the template policy-report.md.j2.

Documentation: one sidecar YAML file per filter, next to this file.
"""

from __future__ import annotations

from ansible_collections.sso.mappings.plugins.plugin_utils import _pages, _policy, _policy_reports


def policy_problems(sso_policy, today=None):
    """Every problem of a policy, each naming the rule, tier or waiver and the key; [] for a good one."""
    return _policy.policy_problems(sso_policy, today)


def policy_findings(review_report, sso_policy, sso_groups=None, evaluated='live', today=None, generated_at=None):
    """The policy report of ``sso_policy`` on an access review report."""
    return _policy.evaluate(review_report, sso_policy, sso_groups, today=today, evaluated=evaluated, generated_at=generated_at)


def policy_sarif(policy_report):
    """The policy report as a SARIF 2.1.0 log (a dictionary: write it with to_json)."""
    return _policy_reports.sarif(policy_report)


def policy_junit(policy_report):
    """The policy report as JUnit XML."""
    return _policy_reports.junit(policy_report)


def policy_markdown(policy_report, template=None):
    """The policy report as Markdown, from the template policy-report.md.j2 or one's own."""
    return _pages.render('policy-report.md', _policy_reports.page(policy_report), template)


def policy_stats(policy_report):
    """What set_stats publishes as sso_mappings_policy: the summary and the enforced violations."""
    return _policy.stats(policy_report)


def policy_failure(policy_report):
    """The message of a play that an enforced violation stops, naming the rules and groups; '' when none."""
    return _policy.failure_message(policy_report)


def planned_mappings(planned, provider, live=None):
    """A target's planned mappings for the policy, Confluent role bindings the plan did not read taken from ``live``."""
    return _policy.planned_mappings(planned, provider, live)


class FilterModule:
    """sso.mappings access policy filters."""

    def filters(self):
        return {
            'policy_problems': policy_problems,
            'policy_findings': policy_findings,
            'policy_sarif': policy_sarif,
            'policy_junit': policy_junit,
            'policy_markdown': policy_markdown,
            'policy_stats': policy_stats,
            'policy_failure': policy_failure,
            'planned_mappings': planned_mappings,
        }
