// The PEM triple every TLS endpoint of the stack is configured from: its certificate (with the chain up to
// but excluding the CA), its private key, and the CA it trusts for the other side.
export interface TlsMaterial {
  cert: string;
  key: string;
  ca: string;
}

/** The keys of a kubernetes.io/tls Secret plus the CA (as cert-manager writes them). */
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';
export const CA_CERT_KEY = 'ca.crt';
