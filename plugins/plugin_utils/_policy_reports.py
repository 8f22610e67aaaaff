# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The policy report (``_policy.evaluate``) in the formats CI systems read: SARIF 2.1.0 and JUnit XML, and the data
of its Markdown page (the template ``policy-report.md.j2``)."""

from __future__ import annotations

import hashlib
import json
import re
from xml.etree import ElementTree

from ansible_collections.sso.mappings.plugins.plugin_utils._plain import plain
from ansible_collections.sso.mappings.plugins.plugin_utils._review import FAILED, platform_name

TOOL = 'sso.mappings'
INFORMATION_URI = 'https://github.com/sso-mappings/sso.mappings/blob/main/docs/policy.md'
SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'
# SARIF's level of each severity (the contract), and the score GitHub code scanning ranks security results by.
LEVELS = {'critical': 'error', 'high': 'error', 'medium': 'warning', 'low': 'note', 'info': 'note'}
SECURITY_SEVERITY = {'critical': '9.5', 'high': '8.0', 'medium': '5.5', 'low': '3.0', 'info': '0.0'}
LOCATION_FIELDS = ('group', 'host', 'provider', 'mapping', 'role', 'scope')
# XML 1.0 cannot hold these characters at all, escaped or not.
_NOT_XML = re.compile('[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def _text(value):
    return '' if value is None else str(value)


def _where(finding):
    """Where a finding is, as people read it: ``group @ host, mapping m, role r on scope``."""
    parts = []
    if finding.get('group'):
        parts.append('group %s' % finding['group'])
    if finding.get('host'):
        parts.append('on %s' % finding['host'])
    if finding.get('mapping'):
        parts.append('mapping %s' % finding['mapping'])
    if finding.get('role'):
        parts.append('role %s at %s' % (finding['role'], finding.get('scope') or ''))
    return ', '.join(parts) or 'the policy'


# --- SARIF -----------------------------------------------------------------------------------------

def _fingerprint(finding):
    """The same finding on the same grant has the same fingerprint in every run (code scanning tracks it by this)."""
    key = json.dumps([finding.get('rule')] + [_text(finding.get(k)) for k in LOCATION_FIELDS], ensure_ascii=False)
    return hashlib.sha256(key.encode('utf-8')).hexdigest()


def _location(finding):
    """A finding's place as SARIF logical locations: the target, then the mapping or the group."""
    locations = []
    if finding.get('host'):
        locations.append({'name': finding['host'], 'kind': 'module', 'fullyQualifiedName': finding['host']})
    if finding.get('mapping'):
        locations.append({'name': finding['mapping'], 'kind': 'object',
                          'fullyQualifiedName': '%s/%s' % (finding.get('host'), finding['mapping'])})
    elif finding.get('group'):
        locations.append({'name': finding['group'], 'kind': 'object', 'fullyQualifiedName': 'group/%s' % finding['group']})
    return [{'logicalLocations': locations}] if locations else []


def sarif(report):
    """The policy report as a SARIF 2.1.0 log: one run of the tool ``sso.mappings``, one reporting descriptor per rule,
    one result per finding; a waived finding carries a suppression whose justification is the waiver's reason.
    A target that could not be read is a tool execution notification, and the run did not succeed."""
    report = plain(report or {})
    rules = report.get('rules') or []
    index = dict((rule.get('id'), position) for position, rule in enumerate(rules))
    descriptors = []
    for rule in rules:
        severity = rule.get('severity')
        descriptors.append({
            'id': rule.get('id'),
            'name': rule.get('kind'),
            'shortDescription': {'text': rule.get('description') or '%s rule %s' % (rule.get('kind'), rule.get('id'))},
            'helpUri': INFORMATION_URI,
            'defaultConfiguration': {'level': LEVELS.get(severity, 'warning'), 'enabled': True},
            'properties': {'kind': rule.get('kind'), 'severity': severity, 'enforce': bool(rule.get('enforce')),
                           'tags': ['security', 'access-policy', rule.get('kind')],
                           'security-severity': SECURITY_SEVERITY.get(severity, '5.5')},
        })
    results = []
    for finding in report.get('findings') or []:
        result = {
            'ruleId': finding.get('rule'),
            'ruleIndex': index.get(finding.get('rule'), -1),
            'kind': 'fail',
            'level': LEVELS.get(finding.get('severity'), 'warning'),
            'message': {'text': '%s: %s' % (_where(finding), finding.get('message'))},
            'locations': _location(finding),
            'partialFingerprints': {'ssoMappingsFinding/v1': _fingerprint(finding)},
            'properties': dict([(k, _text(finding.get(k))) for k in LOCATION_FIELDS]
                               + [('severity', finding.get('severity')), ('enforce', bool(finding.get('enforce'))),
                                  ('status', finding.get('status'))]),
        }
        if not result['locations']:
            del result['locations']
        if finding.get('status') == 'waived':
            waiver = finding.get('waiver') or {}
            result['suppressions'] = [{'kind': 'external', 'status': 'accepted', 'justification': _text(waiver.get('reason')),
                                       'properties': {'expires': _text(waiver.get('expires'))}}]
        results.append(result)
    unread = [t for t in report.get('targets') or [] if t.get('status') == FAILED]
    notifications = []
    for target in unread:
        text = '%s (%s) could not be read, so its grants were not evaluated: %s' % (
            target.get('host'), platform_name(target.get('provider')), target.get('error'))
        notifications.append({'level': 'error', 'message': {'text': text},
                              'locations': [{'logicalLocations': [{'name': target.get('host'), 'kind': 'module'}]}]})
    invocation = {'executionSuccessful': not unread, 'toolExecutionNotifications': notifications}
    if report.get('generated_at'):
        invocation['endTimeUtc'] = report['generated_at']
    return {
        '$schema': SARIF_SCHEMA,
        'version': '2.1.0',
        'runs': [{
            'tool': {'driver': {'name': TOOL, 'informationUri': INFORMATION_URI, 'rules': descriptors}},
            'invocations': [invocation],
            'automationDetails': {'id': 'sso.mappings/policy/%s/' % (report.get('evaluated') or 'live')},
            'results': results,
            'properties': {'evaluated': report.get('evaluated'), 'summary': report.get('summary') or {},
                           'stale_waivers': report.get('stale_waivers') or []},
        }],
    }


# --- JUnit XML -------------------------------------------------------------------------------------

def _xml(value):
    return _NOT_XML.sub('\ufffd', _text(value))


def _case_name(finding):
    return _xml(_where(finding))


def junit(report):
    """The policy report as JUnit XML: one testsuite per rule named by its id, one testcase per finding (a failure for
    a violation, skipped for a waived one), one passing testcase for a rule without findings; a testsuite
    ``targets`` with an error for each target that could not be read."""
    report = plain(report or {})
    findings = report.get('findings') or []
    root = ElementTree.Element('testsuites', {'name': 'sso.mappings access policy'})
    totals = {'tests': 0, 'failures': 0, 'skipped': 0, 'errors': 0}
    for rule in report.get('rules') or []:
        rule_id = _xml(rule.get('id'))
        mine = [f for f in findings if f.get('rule') == rule.get('id')]
        suite = ElementTree.SubElement(root, 'testsuite', {'name': rule_id})
        properties = ElementTree.SubElement(suite, 'properties')
        for name in ('kind', 'severity', 'enforce', 'description'):
            ElementTree.SubElement(properties, 'property', {'name': name, 'value': _xml(rule.get(name))})
        counts = {'tests': max(len(mine), 1), 'failures': 0, 'skipped': 0, 'errors': 0}
        classname = 'sso.mappings.policy.%s' % rule_id
        for finding in mine:
            case = ElementTree.SubElement(suite, 'testcase', {'classname': classname, 'name': _case_name(finding)})
            if finding.get('status') == 'waived':
                waiver = finding.get('waiver') or {}
                ElementTree.SubElement(case, 'skipped', {'message': _xml('waived until %s: %s' % (waiver.get('expires'), waiver.get('reason')))})
                counts['skipped'] += 1
            else:
                failure = ElementTree.SubElement(case, 'failure', {
                    'message': _xml(finding.get('message')),
                    'type': _xml('%s%s' % (finding.get('severity'), '' if finding.get('enforce') else ' (not enforced)'))})
                failure.text = _xml('%s\n%s' % (_where(finding), finding.get('message')))
                counts['failures'] += 1
        if not mine:
            ElementTree.SubElement(suite, 'testcase', {'classname': classname, 'name': _xml('%s: no finding' % rule.get('id'))})
        _count(suite, counts, totals)
    targets = report.get('targets') or []
    if targets:
        suite = ElementTree.SubElement(root, 'testsuite', {'name': 'targets'})
        counts = {'tests': len(targets), 'failures': 0, 'skipped': 0, 'errors': 0}
        for target in targets:
            case = ElementTree.SubElement(suite, 'testcase', {'classname': 'sso.mappings.policy.targets',
                                                              'name': _xml('%s is read' % target.get('host'))})
            if target.get('status') == FAILED:
                error = ElementTree.SubElement(case, 'error', {'message': _xml('%s could not be read, so its grants were not evaluated'
                                                                               % target.get('host')), 'type': 'unread target'})
                error.text = _xml(target.get('error'))
                counts['errors'] += 1
        _count(suite, counts, totals)
    for name, value in totals.items():
        root.set(name, str(value))
    return '<?xml version="1.0" encoding="UTF-8"?>\n%s\n' % ElementTree.tostring(root, encoding='unicode')


def _count(suite, counts, totals):
    for name, value in counts.items():
        suite.set(name, str(value))
        totals[name] += value


# --- the Markdown page's data ----------------------------------------------------------------------

def page(report):
    """The data the template policy-report.md.j2 shows."""
    report = plain(report or {})
    targets = [dict(t, platform=platform_name(t.get('provider'))) for t in report.get('targets') or []]
    return dict(report, targets=targets, unread_targets=[t for t in targets if t.get('status') == FAILED],
                rules=report.get('rules') or [], findings=report.get('findings') or [],
                stale_waivers=report.get('stale_waivers') or [], summary=report.get('summary') or {})
