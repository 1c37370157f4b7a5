"""deploy/: the desk's systemd unit and Kubernetes objects run the command the CLI has."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import yaml

import pipeline

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _serve_args(argv: list[str]):
    assert argv[1] == "pipeline.py"
    return pipeline.build_parser().parse_args(argv[2:])


def test_systemd_unit_serves_on_loopback_with_secrets_from_a_file():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(DEPLOY / "lurewatch-web.service")
    service = unit["Service"]
    args = _serve_args(shlex.split(service["ExecStart"]))
    assert args.command == "serve" and args.host == "127.0.0.1"
    assert service["EnvironmentFile"] == "/etc/lurewatch/web.env"
    assert "LUREWATCH_SECRET_KEY" not in service.get("Environment", "")


def test_kubernetes_desk_behind_a_tls_ingress_with_the_secret_from_a_secret():
    docs = {d["kind"]: d for d in yaml.safe_load_all((DEPLOY / "web.yaml").read_text())}
    assert set(docs) == {"Deployment", "Service", "Ingress", "NetworkPolicy"}
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    args = _serve_args(container["command"])
    assert args.command == "serve" and args.host == "0.0.0.0"
    env = {e["name"]: e for e in container["env"]}
    assert env["LUREWATCH_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "lurewatch-web"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert docs["Ingress"]["spec"]["tls"] and docs["Service"]["spec"]["type"] == "ClusterIP"
    port = container["ports"][0]["containerPort"]
    assert args.port == port == docs["NetworkPolicy"]["spec"]["ingress"][0]["ports"][0]["port"]
