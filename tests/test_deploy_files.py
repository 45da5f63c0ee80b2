"""The deployment files say what docs/deploy.md promises. Docker and systemd cannot run in the test
environment, so the files are parsed and their key settings checked: a non-root, read-only, health-checked
image; two app instances, a worker, PostgreSQL and Caddy, with no client address passed on; hardened units; an
example environment file with every setting and its default."""

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from hotline.settings import SECRET_FIELDS, Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
APP_SERVICES = ("migrate", "app1", "app2", "worker")


def unit(path: Path) -> dict[str, list[str]]:
    """A systemd unit as key -> values (keys may repeat, as systemd allows)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        values.setdefault(key.strip(), []).append(value.strip())
    return values


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_runs_two_apps_a_worker_postgres_and_caddy(compose):
    services = compose["services"]
    assert {"app1", "app2", "worker", "postgres", "caddy"} <= set(services)
    assert services["app1"]["command"][:2] == ["hotline", "serve"] == services["app2"]["command"][:2]
    assert services["worker"]["command"] == ["hotline", "worker"]
    assert services["migrate"]["command"] == ["hotline", "db", "upgrade"]
    for name in ("app1", "app2", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"caddy"}  # only the proxy faces the network
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])
    # The apps trust X-Forwarded-For from the backend network alone, where only Caddy sends them requests.
    backend = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    for name in ("app1", "app2"):
        assert services[name]["environment"]["HOTLINE_TRUSTED_PROXIES"] == backend
    assert "frontend" not in services["app1"].get("networks", ["backend"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_containers_are_locked_down_and_read_secrets_from_files(compose, name):
    service = compose["services"][name]
    assert service["read_only"] is True
    assert any(mount.startswith("/tmp") for mount in service["tmpfs"])
    assert service["cap_drop"] == ["ALL"] and "cap_add" not in service
    assert "no-new-privileges:true" in service["security_opt"]
    assert not service["user"].startswith("0")
    environment = service["environment"]
    for secret in SECRET_FIELDS:
        variable = f"HOTLINE_{secret.upper()}"
        assert variable not in environment and environment[variable + "_FILE"] == f"/run/secrets/{secret}"
        assert secret in service["secrets"] and compose["secrets"][secret]["file"] == f"./secrets/{secret}"


def test_caddy_passes_no_client_address_and_compresses_nothing():
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    proxy = re.search(r"reverse_proxy ([^{]+)\{(.*?)\n\t\}", caddyfile, re.DOTALL)
    assert proxy and proxy.group(1).split() == ["app1:8000", "app2:8000"]
    for header in ("X-Real-IP", "Forwarded", "User-Agent"):
        assert f"header_up -{header}\n" in proxy.group(2)
    # The rate limits need to tell clients apart: Caddy replaces whatever X-Forwarded-For the client sent with
    # the connecting address, and the apps trust it from the backend network only.
    assert "header_up X-Forwarded-For {remote_host}\n" in proxy.group(2)
    assert "health_uri /readyz" in proxy.group(2)
    directives = [line.split()[0] for line in caddyfile.splitlines() if line.strip() and not line.lstrip()
                  .startswith("#")]
    assert "encode" not in directives  # BREACH
    site = caddyfile.split("{$HOTLINE_DOMAIN} {", 1)[1]
    assert "\tlog" not in site  # no access log
    for field in ("remote_ip delete", "client_ip delete", "request>remote_ip delete", "request>headers delete"):
        assert field in caddyfile


def test_the_image_is_slim_non_root_and_health_checked():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert stages and all("slim" in image for image in stages)
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    health = re.search(r"^HEALTHCHECK .*?CMD (.*)$", dockerfile, re.MULTILINE | re.DOTALL)
    assert health and "/healthz" in health.group(1)
    assert re.search(r'^CMD \["hotline", "serve"\]', dockerfile, re.MULTILINE)
    assert "PYTHONDONTWRITEBYTECODE=1" in dockerfile  # nothing to write on the read-only root


@pytest.mark.parametrize(("name", "command"), [("hotline.service", "serve"), ("hotline-worker.service", "worker")])
def test_systemd_units_are_hardened(name, command):
    values = unit(DEPLOY / "systemd" / name)
    assert values["ExecStart"] == [f"/opt/hotline/bin/hotline {command}"]
    assert values["User"] == ["hotline"]
    for key, expected in {"NoNewPrivileges": "yes", "PrivateTmp": "yes", "ProtectSystem": "strict",
                          "ProtectHome": "yes", "PrivateDevices": "yes", "RestrictSUIDSGID": "yes",
                          "ProtectKernelTunables": "yes", "ProtectControlGroups": "yes", "UMask": "0077"}.items():
        assert values[key] == [expected], key
    assert values["CapabilityBoundingSet"] == [""]
    assert "@system-service" in values["SystemCallFilter"]
    # Secrets arrive as credentials and are read through *_FILE, never written into the unit or environment.
    for secret in SECRET_FIELDS:
        assert f"{secret}:/etc/hotline/secrets/{secret}" in values["LoadCredential"]
        assert f"HOTLINE_{secret.upper()}_FILE=%d/{secret}" in values["Environment"]
    assert values["EnvironmentFile"] == ["/etc/hotline/hotline.env"]


def test_backup_timer_unit_runs_hotline_backup():
    service = unit(DEPLOY / "systemd" / "hotline-backup.service")
    assert "hotline backup" in service["ExecStart"][0]
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    assert unit(DEPLOY / "systemd" / "hotline-backup.timer")["OnCalendar"]


def rendered_default(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


@pytest.mark.parametrize("spec", dataclasses.fields(Settings), ids=lambda spec: spec.name)
def test_example_environment_lists_every_setting_with_its_default(spec):
    example = (DEPLOY / "hotline.env.example").read_text()
    line = f"# HOTLINE_{spec.name.upper()}={rendered_default(spec.default)}\n"
    assert line in example


TORRC = DEPLOY / "tor" / "torrc"


def tor_or_skip() -> str:
    import shutil

    from tests.conftest import in_ci

    tor = shutil.which("tor")
    if tor is None:
        message = "Debian's tor package is not installed (.ci/run installs it)"
        if in_ci():
            pytest.fail(message + " (CI=true: a missing tor is a failure, not a skip)")
        pytest.skip(message)
    return tor


def test_tor_accepts_the_shipped_torrc_and_refuses_a_broken_one(tmp_path):
    """`tor --verify-config` reads the file and stops: it never starts Tor or reaches the network."""
    import subprocess

    tor = tor_or_skip()
    checked = subprocess.run([tor, "--verify-config", "-f", str(TORRC)], capture_output=True, text=True,
                             timeout=60, check=False)
    assert checked.returncode == 0 and "Configuration was valid" in checked.stdout, checked.stdout + checked.stderr
    broken = tmp_path / "torrc"
    broken.write_text(TORRC.read_text().replace("HiddenServicePort 80 127.0.0.1:8081",
                                                "HiddenServicePort 80 127.0.0.1:not-a-port"))
    refused = subprocess.run([tor, "--verify-config", "-f", str(broken)], capture_output=True, text=True,
                             timeout=60, check=False)
    assert refused.returncode != 0


def test_the_onion_service_is_only_an_onion_service():
    options = [line.split(None, 1) for line in TORRC.read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    values = {name: value for name, value in options}
    assert values["HiddenServicePort"] == "80 127.0.0.1:8081"
    assert values["HiddenServiceExportCircuitID"] == "haproxy"  # per-circuit rate limits
    assert values["SocksPort"] == "0" and values["ORPort"] == "0" and values["ExitRelay"] == "0"
    assert values["HiddenServiceDir"].startswith(values["DataDirectory"])


def test_compose_runs_tor_beside_caddy_with_its_keys_kept(compose):
    tor = compose["services"]["tor"]
    assert tor["network_mode"] == "service:caddy" and "ports" not in tor  # reaches Caddy's loopback only
    assert "tor_keys:/var/lib/tor-hotline" in tor["volumes"] and "tor_keys" in compose["volumes"]
    assert tor["read_only"] is True and tor["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in tor["security_opt"]
    dockerfile = (DEPLOY / "tor" / "Dockerfile").read_text()
    assert "apt-get install -y --no-install-recommends tor" in dockerfile
    assert re.search(r"^USER debian-tor$", dockerfile, re.MULTILINE) and "--verify-config" in dockerfile


def test_caddy_serves_the_onion_on_loopback_with_the_same_header_rules():
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    onion = caddyfile.split("http://{$HOTLINE_ONION_ADDRESS:onion.invalid}:8081 {", 1)[1]
    assert "\tbind 127.0.0.1\n" in onion and "\tlog" not in onion
    for header in ("X-Real-IP", "Forwarded", "User-Agent", "Via"):
        assert f"header_up -{header}\n" in onion
    assert "header_up X-Forwarded-For {remote_host}\n" in onion
    assert "@not_for_onion path /review /review/* /voice/* /metrics /metrics/*" in onion
    assert "proxy_protocol {" in caddyfile and "allow 127.0.0.1/32" in caddyfile


def test_the_tor_unit_checks_its_configuration_and_is_hardened():
    values = unit(DEPLOY / "systemd" / "hotline-tor.service")
    assert values["ExecStartPre"] == ["/usr/bin/tor --verify-config -f /etc/hotline/torrc"]
    assert values["ExecStart"] == ["/usr/bin/tor -f /etc/hotline/torrc --RunAsDaemon 0"]
    assert values["User"] == ["debian-tor"] and values["StateDirectory"] == ["tor-hotline"]
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices", "RestrictSUIDSGID"):
        assert values[key] == ["yes"], key
    assert values["ProtectSystem"] == ["strict"] and values["CapabilityBoundingSet"] == [""]
