"""go-plugin's AutoMTLS, plugin side.

A host with AutoMTLS passes its client certificate (PEM) in the environment
variable PLUGIN_CLIENT_CERT. The plugin then makes a fresh self-signed
server certificate, serves TLS that requires exactly that client
certificate, and sends its own certificate back as the 6th field of the
handshake line: the DER, base64 in the standard alphabet WITHOUT padding
(go-plugin decodes it with Go's base64.RawStdEncoding, which refuses "=").

The host trusts that one certificate as its root and checks it the way a Go
TLS client checks a server for the name "localhost": a DNS name
"localhost", the server-auth extended key usage, and a validity period that
includes now. go-plugin's own generateCert (mtls.go) makes the same kind of
certificate: ECDSA P-521, CA, client and server auth, valid from 30 s ago
for 30 years.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The environment variable holding the host's client certificate (PEM).
ENV_CLIENT_CERT = "PLUGIN_CLIENT_CERT"


@dataclass(frozen=True)
class ServerCertificate:
    """A generated server certificate and its key."""

    cert_pem: bytes
    key_pem: bytes
    cert_der: bytes

    def handshake_field(self) -> str:
        """The handshake line's 6th field: base64 (standard alphabet, no padding) of the DER."""
        return base64.b64encode(self.cert_der).decode("ascii").rstrip("=")


def generate_certificate(host: str = "localhost") -> ServerCertificate:
    """Generate a self-signed ECDSA P-521 certificate for ``host``, as go-plugin does."""
    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "srbench"),
        x509.NameAttribute(NameOID.COMMON_NAME, host),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(hours=262980))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=True,
            data_encipherment=False, key_agreement=True, key_cert_sign=True, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA512())
    )
    return ServerCertificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
        cert_der=cert.public_bytes(serialization.Encoding.DER),
    )


def parse_client_certificate(pem: str) -> bytes:
    """Check that ``pem`` holds a certificate and return it as PEM bytes; ValueError otherwise."""
    data = pem.encode("ascii", errors="replace")
    try:
        x509.load_pem_x509_certificate(data)
    except ValueError as e:
        raise ValueError(f"{ENV_CLIENT_CERT} does not hold a PEM certificate: {e}") from None
    return data


def decode_handshake_field(field: str) -> bytes:
    """Decode a handshake certificate field (unpadded standard base64) to DER; for hosts and tests."""
    return base64.b64decode(field + "=" * (-len(field) % 4), validate=True)
