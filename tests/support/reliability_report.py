# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Aggregate the recorded reliability scenarios and render docs/reliability.md.

    python tests/support/reliability_report.py RECORDS FIGURES MARKDOWN

RECORDS: the JSON lines the tests appended (reliability.record()); when that file is missing
(scripts/reliability-report --render), the records kept in FIGURES are used again. FIGURES is
rewritten with the records and their totals per ansible-core, then MARKDOWN is written from them.
scripts/reliability-report runs this; nothing in the table is typed by hand.
"""

import json
import sys

PROVIDERS = [('confluent', 'Confluent Cloud'), ('atlas', 'MongoDB Atlas'), ('aria', 'Aria Suite Lifecycle')]

# Rows of the per-core table: label, value from one provider's figures.
ROWS = [
    ('Scenarios run', lambda f: f['scenarios_run']),
    ('Module runs under faults', lambda f: f['module_runs_under_faults']),
    ('Faults injected', lambda f: f['faults_injected']),
    ('Requests retried', lambda f: f['requests_retried']),
    ('Lost create answers found by a look-up (not re-sent)', lambda f: f['lost_answers_recovered']),
    ('Runs converged', lambda f: '%d of %d' % (f['scenarios_converged'], f['scenarios_meant_to_converge'])),
    ('Duplicates found', lambda f: f['duplicates_found']),
    ('Secrets leaked (stdout, stderr, results, messages at -vvvv)', lambda f: f['secrets_leaked']),
    ('Bad inputs refused before any write', lambda f: '%d of %d' % (f['refused_before_any_write'], f['bad_inputs'])),
    ('... of them before any request', lambda f: '%d of %d' % (f['refused_before_any_request'], f['bad_inputs'])),
    ('Unsafe plans refused before any write', lambda f: '%d of %d' % (f['unsafe_plans_refused'], f['unsafe_plans'])),
]


def load_records(records_file, figures_file):
    try:
        with open(records_file, encoding='utf-8') as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:  # --render after the records were collected
        try:
            with open(figures_file, encoding='utf-8') as handle:
                return json.load(handle)['records']
        except FileNotFoundError:
            return []


def total(rows, field):
    return sum(r.get(field) or 0 for r in rows)


def figures_of(rows_of_core):
    result = {}
    for name, _title in PROVIDERS:
        faults = [r for r in rows_of_core if r['provider'] == name and r['category'] == 'fault']
        bad = [r for r in rows_of_core if r['provider'] == name and r['category'] == 'bad_input']
        refusals = [r for r in rows_of_core if r['provider'] == name and r['category'] == 'refusal']
        convergent = [r for r in faults if r.get('converged') is not None]
        result[name] = {
            'scenarios_run': len(faults) + len(bad) + len(refusals),
            'fault_scenarios': len(faults),
            'module_runs_under_faults': total(faults, 'runs'),
            'faults_injected': total(faults, 'faults_injected'),
            'requests_retried': total(faults, 'requests_retried'),
            'lost_answers_recovered': total(faults, 'lost_answers_recovered'),
            'scenarios_converged': sum(1 for r in convergent if r['converged']),
            'scenarios_meant_to_converge': len(convergent),
            'duplicates_found': total(faults, 'duplicates'),
            'secrets_leaked': total(faults + bad + refusals, 'secrets_leaked'),
            'bad_inputs': total(bad, 'bad_inputs'),
            'refused_before_any_write': total(bad, 'refused_before_any_write'),
            'refused_before_any_request': total(bad, 'refused_before_any_request'),
            'unsafe_plans': total(refusals, 'refusals'),
            'unsafe_plans_refused': total(refusals, 'refused_before_any_write'),
        }
    return result


def version_key(version):
    return tuple(int(p) if p.isdigit() else 0 for p in version.split('.'))


def cell(rows):
    """One scenario on one provider, in words."""
    if not rows:
        return '—'
    parts = []
    if rows[0]['category'] in ('bad_input', 'refusal'):
        refused = total(rows, 'refused_before_any_write')
        meant = total(rows, 'bad_inputs' if rows[0]['category'] == 'bad_input' else 'refusals')
        return '%d of %d refused before any write' % (refused, meant)
    injected = total(rows, 'faults_injected')
    if injected:
        parts.append('%d fault%s' % (injected, '' if injected == 1 else 's'))
    retried = total(rows, 'requests_retried')
    if retried:
        parts.append('%d retried' % retried)
    parts += [r['note'] for r in rows if r.get('note')]
    outcomes = [r.get('converged') for r in rows]
    if all(o is True for o in outcomes):
        parts.append('converged')
    elif all(o is None for o in outcomes):
        parts.append(rows[0].get('outcome') or 'as expected')
    else:
        parts.append('**did not converge**')
    return ', '.join(parts)


def render(records, cores, per_core):
    """The Markdown of docs/reliability.md: a table of totals per ansible-core, then one row per scenario."""
    lines = [
        '# Reliability',
        '',
        '<!-- Generated by scripts/reliability-report from tests/output/reliability.json; do not edit by hand. -->',
        '',
        'What the collection\'s set modules do when the API misbehaves or the input is wrong, measured by the',
        'integration tests `tests/integration/test_reliability.py`, `tests/integration/test_bad_input.py` and',
        '`tests/integration/test_safe_apply.py`: real `ansible-playbook` runs against the API emulator',
        '(`tests/emulator`), which injects the faults and logs every request. The emulator\'s seed makes its',
        'random faults repeatable.',
    ]
    for core in cores:
        lines += [
            '',
            '| ansible-core %s | ' % core + ' | '.join(title for _name, title in PROVIDERS) + ' |',
            '|---|' + '---:|' * len(PROVIDERS),
        ]
        for label, value in ROWS:
            lines.append('| %s | %s |' % (label, ' | '.join(str(value(per_core[core][name])) for name, _title in PROVIDERS)))
        leaking = sorted(set((r['scenario'], r['provider']) for r in records
                             if r['ansible_core'] == core and r.get('secrets_leaked')))
        if leaking:
            lines += ['', '**Secrets leaked on ansible-core %s** (distinct marker values found) in: %s.' % (
                core, '; '.join('%s (%s)' % pair for pair in leaking))]

    lines += [
        '',
        '- **Faults injected**: the emulator\'s count of fault rules that fired (checked against the `fault`',
        '  field of its request log). **Requests retried**: faulted requests that the module sent again.',
        '  A create whose answer was lost is never sent again blindly: the module looks it up first.',
        '- **Runs converged**: scenarios that end with the emulator holding exactly the desired set, no',
        '  duplicate, and a second run reporting `changed: false` (re-run after fixing the cause where the',
        '  first run is meant to fail).',
        '- **Secrets leaked**: every scenario runs at `-vvvv` with unique marker values as credentials;',
        '  none may appear in stdout, stderr, the returned results or error messages.',
        '- **Unsafe plans refused**: set module runs, in check mode and for real, whose plan deletes more than',
        '  `max_deletions`, purges with an empty `mappings` without `allow_empty_purge`, or is not the plan',
        '  `plan_fingerprint` approved (the state changed after the review); each must fail with no write.',
        '',
        '## Scenarios',
        '',
        'The workload of the fault scenarios: the set module with 200 mappings and `purge: true` against a',
        'seeded state that needs 30 creates, 30 updates and 20 deletes; the bad-input and safe-apply',
        'scenarios need a few mappings. Figures from ansible-core %s.' % cores[0],
        '',
        '| Scenario | ' + ' | '.join(title for _name, title in PROVIDERS) + ' |',
        '|---|' + '---|' * len(PROVIDERS),
    ]

    newest = [r for r in records if r['ansible_core'] == cores[0]]
    scenarios = []
    for record in newest:
        if record['scenario'] not in scenarios:
            scenarios.append(record['scenario'])
    for scenario in scenarios:
        cells = [cell([r for r in newest if r['scenario'] == scenario and r['provider'] == name])
                 for name, _title in PROVIDERS]
        lines.append('| %s | %s |' % (scenario, ' | '.join(cells)))

    lines += [
        '',
        'Regenerate with `scripts/reliability-report` (add `--all-cores` to include the oldest ansible-core).',
        '',
    ]
    return '\n'.join(lines)


def main(argv):
    records_file, figures_file, markdown_file = argv[:3]
    records = load_records(records_file, figures_file)
    if not records:
        sys.exit('no figures recorded: run the tests with SSO_RELIABILITY_RECORD set (this script does)')

    cores = sorted(sorted(set(r['ansible_core'] for r in records)), key=version_key, reverse=True)  # newest first
    per_core = dict((core, figures_of([r for r in records if r['ansible_core'] == core])) for core in cores)

    with open(figures_file, 'w', encoding='utf-8') as handle:
        json.dump({'ansible_core': cores, 'figures': per_core, 'records': records}, handle, indent=2, sort_keys=True)
        handle.write('\n')
    with open(markdown_file, 'w', encoding='utf-8') as handle:
        handle.write(render(records, cores, per_core))
    print('wrote %s and %s' % (markdown_file, figures_file))


if __name__ == '__main__':
    main(sys.argv[1:])
