# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What AWX / Automation Controller needs: the credential types, the execution environment, and the
playbooks run by ansible-runner (the engine AWX uses) with the credential types' environment injected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.runner import SCRUBBED_PREFIXES, collections_path

REPO = Path(__file__).resolve().parents[2]
AWX = REPO / 'extensions' / 'awx'
CREDENTIAL_TYPES = AWX / 'credential_types'
PLAYBOOKS = REPO / 'playbooks'
BIN = Path(sys.executable).parent
TOKEN_PATH = '/api/oauth/token'

# The emulator's default credentials (tests/emulator).
CONFLUENT = {'api_key': 'EMULATOR-KEY', 'api_secret': 'emulator-secret'}
ATLAS = {'client_id': 'mdb_sa_id_emulator', 'client_secret': 'mdb_sa_sk_emulator'}
ARIA = {'username': 'admin@local', 'password': 'emulator-password'}

# Each credential type: the file, the secret inputs, and exactly the environment it injects.
EXPECTED = {
    'confluent_cloud.yml': ({'api_key', 'api_secret', 'oauth_external_client_secret', 'oauth_external_access_token'},
                            {'CONFLUENT_CLOUD_API_KEY', 'CONFLUENT_CLOUD_API_SECRET', 'CONFLUENT_CLOUD_ENDPOINT',
                             'CONFLUENT_CLOUD_OAUTH_IDENTITY_POOL_ID', 'CONFLUENT_CLOUD_OAUTH_EXTERNAL_TOKEN_URL',
                             'CONFLUENT_CLOUD_OAUTH_EXTERNAL_CLIENT_ID', 'CONFLUENT_CLOUD_OAUTH_EXTERNAL_CLIENT_SECRET',
                             'CONFLUENT_CLOUD_OAUTH_EXTERNAL_TOKEN_SCOPE', 'CONFLUENT_CLOUD_OAUTH_EXTERNAL_ACCESS_TOKEN',
                             'CONFLUENT_CLOUD_OAUTH_STS_TOKEN_EXPIRED_IN_SECONDS'}),
    'mongodb_atlas.yml': ({'client_secret'},
                          {'MONGODB_ATLAS_CLIENT_ID', 'MONGODB_ATLAS_CLIENT_SECRET', 'MONGODB_ATLAS_ORG_ID',
                           'MONGODB_ATLAS_BASE_URL'}),
    'aria_suite_lifecycle.yml': ({'password'}, {'ARIA_LCM_URL', 'ARIA_LCM_USERNAME', 'ARIA_LCM_PASSWORD'}),
}


def credential_type(name):
    return yaml.safe_load((CREDENTIAL_TYPES / name).read_text(encoding='utf-8'))


def definition_env(name):
    return credential_type(name)['injectors']['env']


def inject(name, inputs):
    """The environment AWX gives a job that uses a credential of this type with these inputs.

    As AWX does: every input field is in the namespace (an unset one as ''), and each injector
    template is rendered in a Jinja sandbox.
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # pylint: disable=import-outside-toplevel

    definition = credential_type(name)
    namespace = dict((field['id'], inputs.get(field['id'], False if field.get('type') == 'boolean' else ''))
                     for field in definition['inputs']['fields'])
    sandbox = ImmutableSandboxedEnvironment()
    return dict((variable, sandbox.from_string(template).render(**namespace))
                for variable, template in definition['injectors']['env'].items())


def test_credential_types_keep_secrets_secret_and_inject_exactly_the_modules_environment():
    assert sorted(path.name for path in CREDENTIAL_TYPES.glob('*.yml')) == sorted(EXPECTED)
    for name, (secrets, variables) in EXPECTED.items():
        definition = credential_type(name)
        assert definition['kind'] == 'cloud'
        assert set(definition) == {'name', 'description', 'kind', 'inputs', 'injectors'}
        fields = dict((field['id'], field) for field in definition['inputs']['fields'])
        assert all(field.get('label') and field.get('type') == 'string' for field in fields.values())
        assert set(i for i, field in fields.items() if field.get('secret')) == secrets, name
        assert set(definition['inputs']['required']) <= set(fields)
        assert set(definition['injectors']) == {'env'}
        assert set(definition['injectors']['env']) == variables, name
    # Optional endpoints fall back to the public API when left empty.
    assert inject('confluent_cloud.yml', CONFLUENT)['CONFLUENT_CLOUD_ENDPOINT'] == 'https://api.confluent.cloud'
    # Each OAuth field becomes the environment variable the modules read: CONFLUENT_CLOUD_ + its upper-cased id.
    oauth = inject('confluent_cloud.yml', {'oauth_identity_pool_id': 'pool-1', 'oauth_sts_token_expired_in_seconds': '600'})
    assert (oauth['CONFLUENT_CLOUD_OAUTH_IDENTITY_POOL_ID'], oauth['CONFLUENT_CLOUD_API_KEY']) == ('pool-1', '')
    for field in credential_type('confluent_cloud.yml')['inputs']['fields']:
        if field['id'].startswith('oauth_'):
            assert definition_env('confluent_cloud.yml')['CONFLUENT_CLOUD_' + field['id'].upper()] == '{{ %s }}' % field['id']
    assert inject('mongodb_atlas.yml', dict(ATLAS, org_id='x'))['MONGODB_ATLAS_BASE_URL'] == 'https://cloud.mongodb.com'


def builder():
    path = BIN / 'ansible-builder'
    if not path.exists():
        pytest.skip('ansible-builder is not installed in this environment')
    return str(path)


def test_ansible_builder_renders_a_build_context_for_the_execution_environment(tmp_path):
    context = tmp_path / 'context'
    created = subprocess.run([builder(), 'create', '--file', str(AWX / 'execution-environment.yml'),
                              '--context', str(context)], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr
    containerfile = next(p for p in (context / 'Containerfile', context / 'Dockerfile') if p.exists())
    text = containerfile.read_text(encoding='utf-8')
    assert 'ansible-galaxy collection install' in text
    assert 'introspect' in text  # the collections' Python and system requirements are found at build time
    requirements = yaml.safe_load((context / '_build' / 'requirements.yml').read_text(encoding='utf-8'))
    assert [c['name'] for c in requirements['collections']] == ['sso.mappings']

    # What that introspection finds in this collection: meta/execution-environment.yml -> requirements.txt.
    collections = tmp_path / 'collections' / 'ansible_collections' / 'sso'
    collections.mkdir(parents=True)
    (collections / 'mappings').symlink_to(REPO, target_is_directory=True)
    found = subprocess.run([builder(), 'introspect', str(tmp_path / 'collections')], capture_output=True, text=True,
                           check=False)
    assert found.returncode == 0, found.stdout + found.stderr
    data = yaml.safe_load(found.stdout)
    assert data['python'] == ['requests  # from collection sso.mappings']
    assert data['system'] == []


# --- jobs through ansible-runner ------------------------------------------------------------------

@pytest.fixture
def runner(monkeypatch, emulator, tmp_path):
    """Runs a playbook as an AWX job would: ansible-runner, the three credentials' environment injected."""
    ansible_runner = pytest.importorskip('ansible_runner')
    for name in list(os.environ):
        if name.startswith(SCRUBBED_PREFIXES):
            monkeypatch.delenv(name)
    org_id = emulator.client.state('atlas')['org_id']
    credentials = {}
    credentials.update(inject('confluent_cloud.yml', dict(CONFLUENT, endpoint=emulator.https)))
    credentials.update(inject('mongodb_atlas.yml', dict(ATLAS, org_id=org_id, base_url=emulator.https)))
    credentials.update(inject('aria_suite_lifecycle.yml', dict(ARIA, url=emulator.https)))
    collections_dir = os.environ.get('SSO_COLLECTIONS_PATH') or str(collections_path())
    jobs = []

    def run(playbook, inventory, extravars=None, cmdline=None):
        private = tmp_path / ('job%d' % (len(jobs) + 1))
        (private / 'inventory').mkdir(parents=True)
        (private / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory), encoding='utf-8')
        envvars = dict(credentials, PATH=os.pathsep.join([str(BIN), os.environ.get('PATH', '')]),
                       ANSIBLE_COLLECTIONS_PATH=collections_dir, ANSIBLE_LOCALHOST_WARNING='False',
                       ANSIBLE_LOCAL_TEMP=str(private / 'tmp'), ANSIBLE_REMOTE_TEMP=str(private / 'tmp'))
        result = ansible_runner.run(private_data_dir=str(private), playbook=str(PLAYBOOKS / playbook),
                                    inventory=str(private / 'inventory' / 'hosts.yml'), envvars=envvars,
                                    extravars=extravars or {}, cmdline=cmdline, quiet=True)
        jobs.append(result)
        result.private_data_dir = private
        return result

    return run


def job_inventory(emulator, **extra):
    """As an AWX inventory would hold it: the desired sets and the CA; credentials come from the job's credentials."""
    ca = emulator.ca_file
    inventory = {
        'confluent': {'hosts': {'confluent-org': {
            'confluent_ca_path': ca,
            'confluent_group_mappings': [{'display_name': 'engineering', 'filter': '"engineering" in claims.groups'}]}}},
        'atlas': {'hosts': {'atlas-org': {
            'atlas_ca_path': ca,
            'atlas_role_mappings': [{'external_group_name': 'atlas-admins', 'role_assignments': [{'role': 'ORG_OWNER'}]}]}}},
        'aria': {'hosts': {'aria-lcm': {
            'aria_ca_path': ca,
            'aria_group_mappings': [{'display_name': 'lcm-admins', 'domain': 'example.com', 'mapped_roles': ['LCM Admin']}]}}},
    }
    for group, variables in extra.items():
        host = next(iter(inventory[group]['hosts']))
        inventory[group]['hosts'][host].update(variables)
    return inventory


def stats_event(result):
    return next(e for e in result.events if e['event'] == 'playbook_on_stats')


def test_jobs_through_ansible_runner_with_the_credential_types_injected(runner, emulator, tmp_path):
    inventory = job_inventory(emulator, confluent={'confluent_group_mappings_purge': True})
    applied = runner('apply.yml', inventory)
    assert (applied.status, applied.rc) == ('successful', 0), applied.stdout.read()
    changed = sorted(e['event_data']['host'] for e in applied.events
                     if e['event'] == 'runner_on_ok' and e['event_data'].get('res', {}).get('changed'))
    assert changed == ['aria-lcm', 'atlas-org', 'confluent-org']
    assert len(emulator.client.state('confluent')['group_mappings']) == 1
    output = applied.stdout.read()
    assert 'confluent-org [confluent]: changed (created 1' in output
    for secret in (CONFLUENT['api_secret'], ATLAS['client_secret'], ARIA['password']):
        assert secret not in output

    # A change behind the collection's back, then the audit as a check job (job type "check").
    emulator.client.seed('confluent', group_mappings=[{'display_name': 'intruder', 'filter': 'true'}])
    emulator.client.clear_requests()
    report_dir = tmp_path / 'report'
    audited = runner('audit.yml', inventory, extravars={'audit_report_dir': str(report_dir)}, cmdline='--check')
    assert (audited.status, audited.rc) == ('successful', 0), audited.stdout.read()
    artifacts = stats_event(audited)['event_data']['artifact_data']
    assert artifacts['sso_mappings_drifted_hosts'] == ['confluent-org']
    assert artifacts['sso_mappings_failed_hosts'] == []
    assert artifacts['sso_mappings_report_dir'] == str(report_dir)
    drift = artifacts['sso_mappings_drift']
    assert sorted(drift) == ['aria-lcm', 'atlas-org', 'confluent-org']
    assert drift['confluent-org']['status'] == 'drift'
    assert [(c['action'], c['key']) for c in drift['confluent-org']['changes']] == [('delete', 'intruder')]
    assert drift['atlas-org']['status'] == drift['aria-lcm']['status'] == 'in_sync'
    assert json.loads((report_dir / 'drift-report.json').read_text(encoding='utf-8'))['hosts'] == drift
    # The job's artifacts on disk carry the same data (AWX reads the events).
    stored = [json.loads(p.read_text(encoding='utf-8'))
              for p in (audited.private_data_dir / 'artifacts').glob('*/job_events/*.json')]
    assert any(e.get('event') == 'playbook_on_stats' and e['event_data'].get('artifact_data') == artifacts for e in stored)
    assert [w for w in emulator.client.writes() if w['path'] != TOKEN_PATH] == []

    failing = runner('audit.yml', inventory, extravars={'audit_report_dir': str(report_dir), 'audit_fail_on_drift': True})
    assert failing.status == 'failed' and failing.rc != 0
    assert stats_event(failing)['event_data']['artifact_data']['sso_mappings_drifted_hosts'] == ['confluent-org']

    exported = runner('export.yml', inventory, extravars={'export_dir': str(tmp_path / 'export')})
    assert (exported.status, exported.rc) == ('successful', 0), exported.stdout.read()
    host_vars = yaml.safe_load((tmp_path / 'export' / 'host_vars' / 'confluent-org.yml').read_text(encoding='utf-8'))
    assert [m['display_name'] for m in host_vars['confluent_group_mappings']] == ['engineering', 'intruder']


def test_a_workflow_hands_the_audits_plans_to_apply_and_only_approved_plans_are_applied(runner, emulator, tmp_path):
    """An AWX workflow: the audit job (check), an approval node, then the apply job. AWX passes the audit's
    artifacts to the later nodes as extra variables; the apply job template's own extra variable
    sso_mappings_approved_plans refers to the artifact sso_mappings_plans."""
    inventory = job_inventory(emulator, confluent={'confluent_group_mappings_purge': True})
    emulator.client.seed('confluent', group_mappings=[{'display_name': 'intruder', 'filter': 'true'}])
    audited = runner('audit.yml', inventory, extravars={'audit_report_dir': str(tmp_path / 'audit')}, cmdline='--check')
    assert (audited.status, audited.rc) == ('successful', 0), audited.stdout.read()
    artifacts = stats_event(audited)['event_data']['artifact_data']
    plans = artifacts['sso_mappings_plans']
    assert sorted(plans) == ['aria-lcm', 'atlas-org', 'confluent-org']
    assert dict((host, entry['plan_fingerprint']) for host, entry in artifacts['sso_mappings_drift'].items()) == plans
    template_vars = {'sso_mappings_approved_plans': '{{ sso_mappings_plans | default({}) }}'}

    # The apply job without the audit's artifacts (launched on its own): nothing approved, nothing written.
    alone = runner('apply.yml', inventory, extravars=template_vars)
    assert alone.status == 'failed' and alone.rc != 0
    assert alone.stdout.read().count('has no approved plan in sso_mappings_approved_plans') >= 3
    # The same with a reference that cannot be resolved: every host fails, none is applied unapproved.
    unresolved = runner('apply.yml', inventory, extravars={'sso_mappings_approved_plans': '{{ sso_mappings_plans }}'})
    assert unresolved.status == 'failed'
    assert [w for w in emulator.client.writes() if w['path'] != TOKEN_PATH] == []

    # Between approval and apply, someone creates the Atlas mapping by hand: that host's plan changed, it is refused.
    emulator.client.seed('atlas', role_mappings=[{'externalGroupName': 'atlas-admins', 'roleAssignments': [
        {'role': 'ORG_MEMBER', 'orgId': emulator.client.state('atlas')['org_id']}]}])
    emulator.client.clear_requests()
    applied = runner('apply.yml', inventory, extravars=dict(artifacts, **template_vars))
    assert applied.status == 'failed'
    output = applied.stdout.read()
    assert 'atlas-org [atlas]: FAILED: Atlas: the plan is not the approved one' in output
    assert 'confluent-org [confluent]: changed (created 1, updated 0, deleted 1, unchanged 0)' in output
    assert 'aria-lcm [aria]: changed (created 1' in output
    assert sorted(set(w['provider'] for w in emulator.client.writes() if w['path'] != TOKEN_PATH)) == ['aria', 'confluent']
    assert [m['display_name'] for m in emulator.client.state('confluent')['group_mappings']] == ['engineering']
