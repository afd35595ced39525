import { parseResolvConf } from './resolv-conf.js';

describe('resolv.conf', () => {
  it('takes the IPv4 nameservers and the last search line, as the pod\'s resolver does', () => {
    expect(parseResolvConf('search old.example\nnameserver 10.96.0.10\nnameserver fd00::10\n# comment\nsearch ns1.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\nnameserver 10.96.0.11 ; x\n')).toEqual({
      nameservers: ['10.96.0.10', '10.96.0.11'],
      search: ['ns1.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    });
    expect(parseResolvConf('search a b\ndomain example.org\n')).toEqual({ nameservers: [], search: ['example.org'] });
  });
});
