"""OPC UA security: client certificate, security mode, trust store for the server certificate.

The server's certificate is fetched from its endpoint list and must be in the trust store
folder (when one is configured): an operator copies the PLC's certificate there once, as
with any OPC UA client, and a server presenting another certificate is refused.
"""

from __future__ import annotations

from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto import security_policies, uacrypto
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from drivers.opcua.settings import OpcUaSecuritySettings


class UntrustedServer(ua.UaError):
    pass


def _load_cert(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def trusted_certificates(folder: str) -> list[x509.Certificate]:
    return [
        _load_cert(p)
        for p in sorted(Path(folder).iterdir())
        if p.suffix.lower() in (".der", ".pem", ".crt")
    ]


def application_uri_of(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


async def apply_security(client: Client, sec: OpcUaSecuritySettings) -> None:
    if sec.policy == "None":
        return
    assert sec.certificate and sec.private_key
    own = _load_cert(Path(sec.certificate))
    uri = application_uri_of(own)
    if uri:
        client.application_uri = uri  # must match the certificate or servers reject us
    mode = getattr(ua.MessageSecurityMode, sec.mode)
    policy = security_policies.SecurityPolicyBasic256Sha256
    endpoints = await client.connect_and_get_server_endpoints()
    endpoint = Client.find_endpoint(endpoints, mode, policy.URI)
    server_der = (
        uacrypto.der_from_x509(uacrypto.x509_from_der(endpoint.ServerCertificate))
        if endpoint.ServerCertificate
        else b""
    )
    if sec.trust_store is not None:
        trusted = {
            c.public_bytes(serialization.Encoding.DER)
            for c in trusted_certificates(sec.trust_store)
        }
        if server_der not in trusted:
            raise UntrustedServer(
                f"server certificate of {client.server_url.geturl()} is not in the trust store "
                f"{sec.trust_store}"
            )
    await client.set_security(
        policy, sec.certificate, sec.private_key, server_certificate=server_der, mode=mode
    )


CLIENT_URI = "urn:gate-station:client"


async def make_client_certificate(folder: Path, host: str | None = None) -> tuple[Path, Path]:
    """A self-signed client certificate and key, to be trusted by the PLC's OPC UA server."""
    import socket

    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    folder.mkdir(parents=True, exist_ok=True)
    key, cert = folder / "client-key.pem", folder / "client-cert.der"
    await setup_self_signed_certificate(
        key,
        cert,
        CLIENT_URI,
        host or socket.gethostname(),
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        {"commonName": "gate-station monitoring"},
    )
    return cert, key
