# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the review playbook: who gets which access where, by identity-provider group.

``access_review`` joins every target's live mappings into the report the playbook writes as JSON;
``access_review_csv`` renders it as CSV, ``access_review_markdown`` and ``access_review_html`` as pages
from the collection's templates (or one's own), ``access_review_summary`` counts it. The work is in
plugin_utils/_review.py; the templates escape every value for their format.

Documentation: one sidecar YAML file per filter, next to this file.
"""

from __future__ import annotations

from ansible_collections.sso.mappings.plugins.plugin_utils import _pages, _review

PLATFORMS = _review.PLATFORMS
PRIVILEGED_ROLES = _review.PRIVILEGED_ROLES
CSV_HEADER = _review.CSV_HEADER
is_privileged = _review.is_privileged
access_review = _review.access_review
access_review_summary = _review.access_review_summary
access_review_csv = _review.access_review_csv


def access_review_markdown(report, projects=None, policy=None, template=None):
    """The report as Markdown: summary counts, then one row per grant grouped by identity-provider group."""
    return _pages.render('access-review.md', _review.page(report, projects, policy), template)


def access_review_html(report, projects=None, policy=None, template=None):
    """The report as one self-contained HTML page: no external resource, readable offline and without scripts."""
    return _pages.render('access-review.html', _review.html_page(report, projects, policy), template)


class FilterModule:
    """sso.mappings access review filters."""

    def filters(self):
        return {
            'access_review': access_review,
            'access_review_summary': access_review_summary,
            'access_review_csv': access_review_csv,
            'access_review_markdown': access_review_markdown,
            'access_review_html': access_review_html,
        }
