"""The harness itself: emulator, playbook runner and result recorder, without the collection."""

LIST_PATH = "/iam/v2/sso/group-mappings"


def list_task(emulator, name, **extra):
    """An ansible.builtin.uri GET of the Confluent list endpoint with the emulator's API key."""
    uri = {"url": emulator.https + LIST_PATH + "?page_size=5", "url_username": "EMULATOR-KEY",
           "url_password": "emulator-secret", "force_basic_auth": True, "ca_path": emulator.ca_file,
           "return_content": True}
    uri.update(extra)
    return {"name": name, "ansible.builtin.uri": uri}


def test_uri_request_reaches_the_emulator_and_is_logged(emulator, ansible):
    emulator.client.seed("confluent", group_mappings=[{"display_name": "seeded", "filter": "true", "description": ""}])

    result = ansible.run([list_task(emulator, "list mappings")]).assert_ok()

    listed = result.task("list mappings")
    assert listed["status"] == 200
    assert [item["display_name"] for item in listed["json"]["data"]] == ["seeded"]
    logged = emulator.client.requests()
    assert [(r["operation"], r["status"], r["headers"]["authorization"]) for r in logged] == [
        ("listIamV2SsoGroupMappings", 200, "Basic")]
    assert logged[0]["query"] == {"page_size": ["5"]}


def test_injected_fault_is_answered(emulator, ansible):
    emulator.client.fault({"type": "status", "status": 503}, match={"operation": "listIamV2SsoGroupMappings"}, count=1)

    result = ansible.run([list_task(emulator, "first", status_code=[503]), list_task(emulator, "second")])

    result.assert_ok()
    assert result.task("first")["status"] == 503
    assert result.task("first")["json"]["errors"][0]["status"] == "503"
    assert result.task("second")["status"] == 200
    assert [r["fault"] for r in emulator.client.requests()] == ["status:503", None]


def test_results_are_recorded_for_every_outcome(ansible):
    result = ansible.run([
        {"name": "say", "ansible.builtin.debug": {"msg": "hello {{ 'world' }}"}},
        {"name": "loop", "ansible.builtin.debug": {"msg": "{{ item }}"}, "loop": [1, 2]},
        {"name": "skip", "ansible.builtin.debug": {"msg": "no"}, "when": False},
        {"name": "fail", "ansible.builtin.fail": {"msg": "boom"}, "ignore_errors": True},
    ]).assert_ok()

    assert result.task("say")["msg"] == "hello world"
    assert [item["msg"] for item in result.task("loop")["results"]] == [1, 2]
    assert result.task("skip")["skipped"] is True
    assert result.task("fail")["failed"] is True and result.task("fail")["msg"] == "boom"


def test_failed_run_reports_rc_and_output(ansible):
    result = ansible.run([{"name": "fail", "ansible.builtin.fail": {"msg": "expected failure"}}])

    assert result.rc != 0
    assert result.task("fail")["msg"] == "expected failure"
    try:
        result.assert_ok()
    except AssertionError as exc:
        assert "expected failure" in str(exc)
    else:
        raise AssertionError("assert_ok() accepted a failed run")
