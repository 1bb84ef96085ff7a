#!/usr/bin/env python3
"""Writes the CycloneDX test documents of internal/sbom/testdata/cyclonedx-spec: for each rule
the published schemas state, a valid and an invalid document per spec version 1.2 to 1.6, in XML
and JSON. The file name states the verdict TestCycloneDXSpecDocuments asserts.

Usage: python3 tools/cyclonedx-spec-docs/gen.py internal/sbom/testdata/cyclonedx-spec
"""
import json, os, sys
OUT = sys.argv[1]
VERS = ['1.2', '1.3', '1.4', '1.5', '1.6']
SERIAL = 'urn:uuid:5f2d8c3e-7a41-4b6e-9c0d-2e8f4a6b1c93'
TS = '2024-05-14T09:30:00Z'
MD5 = 'a3f1c2d4e5b60718293a4b5c6d7e8f90'
SHA1 = '0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c'
SHA256 = '4e1243bd22c66e76c2ba9eddc1f91394e57f9f83b2c3e4f1a0d9c8b7a6f5e4d3'
SHA512 = ('9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7'
          '2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043')
V = lambda v: tuple(int(x) for x in v.split('.'))

def esc(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;')

# ---- XML -------------------------------------------------------------------------------------
def x_el(name, inner='', attrs=None, ind=0):
    a = ''.join(f' {k}="{esc(str(v))}"' for k, v in (attrs or {}).items())
    pad = '    ' * ind
    if inner == '':
        return f'{pad}<{name}{a}/>\n'
    if '\n' not in inner:
        return f'{pad}<{name}{a}>{inner}</{name}>\n'
    return f'{pad}<{name}{a}>\n{inner}{pad}</{name}>\n'

COMP_ORDER = ['publisher', 'group', 'name', 'version', 'description', 'scope', 'hashes', 'licenses',
              'copyright', 'cpe', 'purl', 'swid', 'externalReferences', 'properties', 'components', 'evidence', 'extra']

def x_comp(c, ind, v):
    inner = ''
    for k in COMP_ORDER:
        if k not in c or k in ('type', 'bom-ref'):
            continue
        val = c[k]
        if k == 'extra':
            inner += val
        elif isinstance(val, str) and not val.startswith('<') and '\n' not in val:
            inner += x_el(k, esc(val), ind=ind + 1)
        else:
            inner += val
    attrs = {}
    if 'type' in c:
        attrs['type'] = c['type']
    if 'bom-ref' in c:
        attrs['bom-ref'] = c['bom-ref']
    attrs.update(c.get('xattrs', {}))
    return x_el('component', inner, attrs, ind)

def x_doc(v, metadata='', components=None, services='', deps='', tail='', bomattrs=None):
    attrs = {'serialNumber': SERIAL, 'version': '1'}
    attrs.update(bomattrs or {})
    inner = ''
    if metadata:
        inner += metadata
    if components is not None:
        inner += x_el('components', ''.join(x_comp(c, 2, v) for c in components) or '', ind=1)
    inner += services + deps + tail
    a = ''.join(f' {k}="{esc(str(val))}"' for k, val in attrs.items())
    ns = f'http://cyclonedx.org/schema/bom/{v}'
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="{ns}"{a}>\n{inner}</bom>\n'

# ---- JSON ------------------------------------------------------------------------------------
def j_doc(v, **kw):
    d = {'bomFormat': 'CycloneDX', 'specVersion': v, 'serialNumber': SERIAL, 'version': 1}
    d.update(kw)
    return json.dumps(d, indent=2) + '\n'

def lib(**kw):
    c = {'type': 'library', 'bom-ref': 'pkg:maven/org.example/parser@2.1.0', 'group': 'org.example',
         'name': 'parser', 'version': '2.1.0', 'purl': 'pkg:maven/org.example/parser@2.1.0'}
    c.update(kw)
    return c

def j_comp(c):
    out = {}
    for k in ['type', 'bom-ref', 'group', 'name', 'version', 'scope', 'hashes', 'licenses', 'purl', 'swid', 'externalReferences', 'properties', 'evidence']:
        if k in c:
            out[k] = c[k]
    return out

docs = {}  # (version, name) -> (xml or None, json or None)

def add(v, name, x, j):
    docs[(v, name)] = (x, j)

def meta_x(v, extra=''):
    return x_el('metadata', x_el('timestamp', TS, ind=2) + extra, ind=1)

for v in VERS:
    ns = f'http://cyclonedx.org/schema/bom/{v}'
    mx = meta_x(v)
    mj = {'timestamp': TS}

    # minimal
    add(v, 'valid-minimal', x_doc(v, mx, [lib()]), j_doc(v, metadata=mj, components=[j_comp(lib())]))

    # SaaSBOM: an application that is nothing but services; dependencies name services.
    app_x = x_el('component', x_el('name', 'webshop', ind=3) + x_el('version', '5.0', ind=3), {'type': 'application', 'bom-ref': 'webshop'}, 2)
    svc_x = lambda flow: x_el('services',
        x_el('service',
             x_el('provider', x_el('name', 'Example Payments Ltd', ind=4), ind=3)
             + x_el('name', 'payment-api', ind=3) + x_el('version', '3', ind=3)
             + x_el('endpoints', x_el('endpoint', 'https://pay.example.com/v3/charge', ind=4), ind=3)
             + x_el('authenticated', 'true', ind=3) + x_el('x-trust-boundary', 'true', ind=3)
             + x_el('data', x_el('classification', 'PII', {'flow': flow}, 4), ind=3)
             + x_el('services', x_el('service', x_el('name', 'token-vault', ind=5), {'bom-ref': 'token-vault'}, 4), ind=3),
             {'bom-ref': 'payment-api'}, 2)
        + x_el('service', x_el('name', 'fx-rates', ind=3) + x_el('endpoints', x_el('endpoint', 'https://fx.example.org/latest', ind=4), ind=3), {'bom-ref': 'fx-rates'}, 2),
        ind=1)
    deps_x = x_el('dependencies',
        x_el('dependency', x_el('dependency', '', {'ref': 'payment-api'}, 3) + x_el('dependency', '', {'ref': 'fx-rates'}, 3), {'ref': 'webshop'}, 2)
        + x_el('dependency', x_el('dependency', '', {'ref': 'token-vault'}, 3), {'ref': 'payment-api'}, 2),
        ind=1)
    svc_j = lambda flow: [
        {'bom-ref': 'payment-api', 'provider': {'name': 'Example Payments Ltd'}, 'name': 'payment-api', 'version': '3',
         'endpoints': ['https://pay.example.com/v3/charge'], 'authenticated': True, 'x-trust-boundary': True,
         'data': [{'flow': flow, 'classification': 'PII'}],
         'services': [{'bom-ref': 'token-vault', 'name': 'token-vault'}]},
        {'bom-ref': 'fx-rates', 'name': 'fx-rates', 'endpoints': ['https://fx.example.org/latest']}]
    deps_j = [{'ref': 'webshop', 'dependsOn': ['payment-api', 'fx-rates']}, {'ref': 'payment-api', 'dependsOn': ['token-vault']}]
    meta_app_x = meta_x(v, app_x)
    meta_app_j = {'timestamp': TS, 'component': {'type': 'application', 'bom-ref': 'webshop', 'name': 'webshop', 'version': '5.0'}}
    add(v, 'valid-saasbom', x_doc(v, meta_app_x, None, svc_x('inbound'), deps_x),
        j_doc(v, metadata=meta_app_j, services=svc_j('inbound'), dependencies=deps_j))
    add(v, 'invalid-service-data', x_doc(v, meta_app_x, None, svc_x('sideways'), deps_x),
        j_doc(v, metadata=meta_app_j, services=svc_j('sideways'), dependencies=deps_j))
    # A dependency on a bom-ref that neither a component nor a service has.
    bad_deps_x = deps_x.replace('ref="fx-rates"/>', 'ref="fx-ratez"/>')
    add(v, 'invalid-dependency-dangling', x_doc(v, meta_app_x, None, svc_x('inbound'), bad_deps_x),
        j_doc(v, metadata=meta_app_j, services=svc_j('inbound'), dependencies=[{'ref': 'webshop', 'dependsOn': ['payment-api', 'fx-ratez']}]))

    # Licences.
    lic = lambda inner: x_el('licenses', inner, ind=3)
    lid = x_el('license', x_el('id', 'Apache-2.0', ind=5) + x_el('url', 'https://www.apache.org/licenses/LICENSE-2.0', ind=5), ind=4)
    add(v, 'valid-license-id', x_doc(v, mx, [lib(licenses=lic(lid))]),
        j_doc(v, metadata=mj, components=[j_comp(lib(licenses=[{'license': {'id': 'Apache-2.0', 'url': 'https://www.apache.org/licenses/LICENSE-2.0'}}]))]))
    add(v, 'valid-license-name', x_doc(v, mx, [lib(licenses=lic(x_el('license', x_el('name', 'Example Commercial Licence 1.1', ind=5), ind=4)))]),
        j_doc(v, metadata=mj, components=[j_comp(lib(licenses=[{'license': {'name': 'Example Commercial Licence 1.1'}}]))]))
    add(v, 'valid-license-expression', x_doc(v, mx, [lib(licenses=lic(x_el('expression', 'Apache-2.0 OR GPL-2.0-only WITH Classpath-exception-2.0', ind=4)))]),
        j_doc(v, metadata=mj, components=[j_comp(lib(licenses=[{'expression': 'Apache-2.0 OR GPL-2.0-only WITH Classpath-exception-2.0'}]))]))
    add(v, 'invalid-license-choice', x_doc(v, mx, [lib(licenses=lic(lid + x_el('expression', 'MIT OR Apache-2.0', ind=4)))]),
        j_doc(v, metadata=mj, components=[j_comp(lib(licenses=[{'license': {'id': 'Apache-2.0'}, 'expression': 'MIT OR Apache-2.0'}]))]))
    add(v, 'invalid-license-id-count', x_doc(v, mx, [lib(licenses=lic(x_el('license', x_el('id', 'Apache-2.0', ind=5) * 2, ind=4)))]), None)
    add(v, 'invalid-license-name-count', x_doc(v, mx, [lib(licenses=lic(x_el('license', x_el('name', 'Example Licence', ind=5) + x_el('name', 'Other Licence', ind=5), ind=4)))]), None)
    add(v, 'invalid-license-id-and-name', x_doc(v, mx, [lib(licenses=lic(x_el('license', x_el('id', 'MIT', ind=5) + x_el('name', 'MIT License', ind=5), ind=4)))]),
        j_doc(v, metadata=mj, components=[j_comp(lib(licenses=[{'license': {'id': 'MIT', 'name': 'MIT License'}}]))]))
    add(v, 'invalid-license-unknown-id', x_doc(v, mx, [lib(licenses=lic(x_el('license', x_el('id', 'Apache-2', ind=5), ind=4)))]),
        j_doc(v, metadata=mj, components=[j_comp(lib(licenses=[{'license': {'id': 'Apache-2'}}]))]))
    add(v, 'invalid-license-missing-id-and-name',
        x_doc(v, mx, [lib(licenses=lic(x_el('license', x_el('url', 'https://example.com/licence', ind=5), ind=4)))]) if V(v) >= (1, 6) else None,
        j_doc(v, metadata=mj, components=[j_comp(lib(licenses=[{'license': {'url': 'https://example.com/licence'}}]))]))

    # SWID.
    app = dict(lib(), type='application', name='Example Application', version='9.1.1', **{'bom-ref': 'example-app'})
    app.pop('purl'); app.pop('group')
    add(v, 'valid-swid', x_doc(v, mx, [dict(app, swid=x_el('swid', '', {'tagId': 'swidgen-1f2e3d4c-example-app-9.1.1', 'name': 'Example Application', 'version': '9.1.1'}, 3))]),
        j_doc(v, metadata=mj, components=[j_comp(dict(app, swid={'tagId': 'swidgen-1f2e3d4c-example-app-9.1.1', 'name': 'Example Application', 'version': '9.1.1'}))]))
    add(v, 'invalid-swid', x_doc(v, mx, [dict(app, swid=x_el('swid', '', {'name': 'Example Application', 'version': '9.1.1'}, 3))]),
        j_doc(v, metadata=mj, components=[j_comp(dict(app, swid={'name': 'Example Application', 'version': '9.1.1'}))]))

    # Properties (CycloneDX 1.3 onwards).
    if V(v) >= (1, 3):
        props_x = x_el('properties', x_el('property', 'libc', {'name': 'example:build:runtime'}, 4) + x_el('property', 'false', {'name': 'example:build:stripped'}, 4), ind=3)
        add(v, 'valid-properties', x_doc(v, mx, [lib(properties=props_x)]),
            j_doc(v, metadata=mj, components=[j_comp(lib(properties=[{'name': 'example:build:runtime', 'value': 'libc'}, {'name': 'example:build:stripped', 'value': 'false'}]))]))
        add(v, 'invalid-properties', x_doc(v, mx, [lib(properties=x_el('properties', x_el('property', 'a value without a name', ind=4), ind=3))]),
            j_doc(v, metadata=mj, components=[j_comp(lib(properties=[{'value': 'a value without a name'}]))]) if V(v) >= (1, 6) else None)

    # Hashes.
    hx = lambda pairs: x_el('hashes', ''.join(x_el('hash', val, {'alg': a}, 4) for a, val in pairs), ind=3)
    hj = lambda pairs: [{'alg': a, 'content': val} for a, val in pairs]
    good = [('MD5', MD5), ('SHA-1', SHA1), ('SHA-256', SHA256), ('SHA-512', SHA512)]
    add(v, 'valid-hashes', x_doc(v, mx, [lib(hashes=hx(good))]), j_doc(v, metadata=mj, components=[j_comp(lib(hashes=hj(good)))]))
    add(v, 'invalid-hash-alg', x_doc(v, mx, [lib(hashes=hx([('SHA-9', SHA256)]))]), j_doc(v, metadata=mj, components=[j_comp(lib(hashes=hj([('SHA-9', SHA256)])))]))
    add(v, 'invalid-hash-length', x_doc(v, mx, [lib(hashes=hx([('MD5', MD5[:-1])]))]), j_doc(v, metadata=mj, components=[j_comp(lib(hashes=hj([('MD5', MD5[:-1])])))]))

    # Enumerations and required fields.
    add(v, 'invalid-component-type', x_doc(v, mx, [lib(type='gadget')]), j_doc(v, metadata=mj, components=[j_comp(lib(type='gadget'))]))
    add(v, 'invalid-scope', x_doc(v, mx, [lib(scope='sometimes')]), j_doc(v, metadata=mj, components=[j_comp(lib(scope='sometimes'))]))
    add(v, 'valid-scope', x_doc(v, mx, [lib(scope='optional')]), j_doc(v, metadata=mj, components=[j_comp(lib(scope='optional'))]))
    notype = lib(); notype.pop('type')
    add(v, 'invalid-missing-component-type', x_doc(v, mx, [notype]), j_doc(v, metadata=mj, components=[j_comp(notype)]))
    add(v, 'invalid-serialnumber', x_doc(v, mx, [lib()], bomattrs={'serialNumber': 'urn:uuid:12345'}),
        j_doc(v, metadata=mj, components=[j_comp(lib())]).replace(SERIAL, 'urn:uuid:12345'))
    add(v, 'invalid-metadata-timestamp', x_doc(v, meta_x(v).replace(TS, '2024-02-30T09:30:00Z'), [lib()]),
        j_doc(v, metadata={'timestamp': '2024-02-30T09:30:00Z'}, components=[j_comp(lib())]))

    # XML only: extensions in other namespaces, undeclared elements, bom-ref uniqueness.
    ext = lib(extra=x_el('ex:buildInfo', x_el('ex:compiler', 'gcc 13.2', ind=4), {'xmlns:ex': 'https://example.com/schema/build'}, 3),
              xattrs={'xmlns:ex': 'https://example.com/schema/build', 'ex:reviewed': 'yes', 'audit': 'done'})
    add(v, 'valid-extension-elements', x_doc(v, mx, [ext], bomattrs={'generator': 'example'}), None)
    add(v, 'invalid-undeclared-element', x_doc(v, mx, [lib(extra=x_el('buildInfo', 'gcc 13.2', ind=3))]), None)
    add(v, 'invalid-duplicate-bom-ref', x_doc(v, mx, [lib(), lib(name='parser-extras', version='2.1.0')]),
        j_doc(v, metadata=mj, components=[j_comp(lib()), j_comp(lib(name='parser-extras'))]))

    # Evidence (1.5 shape: identity, occurrences, licences, copyright).
    if V(v) >= (1, 5):
        def ev_x(conf):
            ident = x_el('identity',
                x_el('field', 'purl', ind=5) + x_el('confidence', conf, ind=5)
                + x_el('methods', x_el('method', x_el('technique', 'filename', ind=7) + x_el('confidence', '0.3', ind=7) + x_el('value', 'parser-2.1.0.jar', ind=7), ind=6)
                       + x_el('method', x_el('technique', 'hash-comparison', ind=7) + x_el('confidence', '0.9', ind=7) + x_el('value', SHA256, ind=7), ind=6), ind=5),
                ind=4)
            return x_el('evidence', ident
                + x_el('occurrences', x_el('occurrence', x_el('location', '/opt/app/lib/parser-2.1.0.jar', ind=6), {'bom-ref': 'occ-1'}, 5), ind=4)
                + x_el('licenses', x_el('license', x_el('id', 'Apache-2.0', ind=6), ind=5), ind=4)
                + x_el('copyright', x_el('text', 'Copyright 2019 Example Parser Authors', ind=5), ind=4), ind=3)
        def ev_j(conf):
            ident = {'field': 'purl', 'confidence': conf, 'methods': [
                {'technique': 'filename', 'confidence': 0.3, 'value': 'parser-2.1.0.jar'},
                {'technique': 'hash-comparison', 'confidence': 0.9, 'value': SHA256}]}
            return {'identity': [ident] if V(v) >= (1, 6) else ident,
                    'occurrences': [{'bom-ref': 'occ-1', 'location': '/opt/app/lib/parser-2.1.0.jar'}],
                    'licenses': [{'license': {'id': 'Apache-2.0'}}],
                    'copyright': [{'text': 'Copyright 2019 Example Parser Authors'}]}
        add(v, 'valid-evidence', x_doc(v, mx, [lib(evidence=ev_x('1'))]), j_doc(v, metadata=mj, components=[j_comp(lib(evidence=ev_j(1)))]))
        add(v, 'invalid-evidence-confidence', x_doc(v, mx, [lib(evidence=ev_x('1.5'))]), j_doc(v, metadata=mj, components=[j_comp(lib(evidence=ev_j(1.5)))]))

    # External references: the type is an enumeration.
    def xref_x(typ):
        return x_el('externalReferences', x_el('reference', x_el('url', 'https://git.example.com/parser.git', ind=5), {'type': typ}, 4), ind=3)
    add(v, 'valid-external-reference', x_doc(v, mx, [lib(externalReferences=xref_x('vcs'))]),
        j_doc(v, metadata=mj, components=[j_comp(lib(externalReferences=[{'type': 'vcs', 'url': 'https://git.example.com/parser.git'}]))]))
    add(v, 'invalid-external-reference-type', x_doc(v, mx, [lib(externalReferences=xref_x('repository'))]),
        j_doc(v, metadata=mj, components=[j_comp(lib(externalReferences=[{'type': 'repository', 'url': 'https://git.example.com/parser.git'}]))]))

    # Compositions (1.3 onwards): the aggregate is an enumeration.
    if V(v) >= (1, 3):
        def comp_x(agg):
            return x_el('compositions', x_el('composition', x_el('aggregate', agg, ind=3)
                + x_el('assemblies', x_el('assembly', '', {'ref': 'pkg:maven/org.example/parser@2.1.0'}, 4), ind=3), ind=2), ind=1)
        add(v, 'valid-compositions', x_doc(v, mx, [lib()], tail=comp_x('complete')),
            j_doc(v, metadata=mj, components=[j_comp(lib())], compositions=[{'aggregate': 'complete', 'assemblies': ['pkg:maven/org.example/parser@2.1.0']}]))
        add(v, 'invalid-compositions-aggregate', x_doc(v, mx, [lib()], tail=comp_x('total')),
            j_doc(v, metadata=mj, components=[j_comp(lib())], compositions=[{'aggregate': 'total', 'assemblies': ['pkg:maven/org.example/parser@2.1.0']}]))

    # Vulnerabilities (1.4 onwards): the severity of a rating is an enumeration.
    if V(v) >= (1, 4):
        def vuln_x(sev):
            return x_el('vulnerabilities', x_el('vulnerability',
                x_el('id', 'CVE-2024-12345', ind=3) + x_el('source', x_el('name', 'NVD', ind=4) + x_el('url', 'https://nvd.nist.gov/vuln/detail/CVE-2024-12345', ind=4), ind=3)
                + x_el('ratings', x_el('rating', x_el('score', '8.1', ind=5) + x_el('severity', sev, ind=5) + x_el('method', 'CVSSv31', ind=5)
                    + x_el('vector', 'AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', ind=5), ind=4), ind=3)
                + x_el('affects', x_el('target', x_el('ref', 'pkg:maven/org.example/parser@2.1.0', ind=5), ind=4), ind=3),
                {'bom-ref': 'vuln-1'}, 2), ind=1)
        def vuln_j(sev):
            return [{'bom-ref': 'vuln-1', 'id': 'CVE-2024-12345', 'source': {'name': 'NVD', 'url': 'https://nvd.nist.gov/vuln/detail/CVE-2024-12345'},
                     'ratings': [{'score': 8.1, 'severity': sev, 'method': 'CVSSv31', 'vector': 'AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H'}],
                     'affects': [{'ref': 'pkg:maven/org.example/parser@2.1.0'}]}]
        add(v, 'valid-vulnerability', x_doc(v, mx, [lib()], tail=vuln_x('high')), j_doc(v, metadata=mj, components=[j_comp(lib())], vulnerabilities=vuln_j('high')))
        add(v, 'invalid-vulnerability-severity', x_doc(v, mx, [lib()], tail=vuln_x('severe')), j_doc(v, metadata=mj, components=[j_comp(lib())], vulnerabilities=vuln_j('severe')))

    # Lifecycles (1.5 onwards): a phase is an enumeration.
    if V(v) >= (1, 5):
        def life_x(phase):
            return x_el('metadata', x_el('timestamp', TS, ind=2) + x_el('lifecycles', x_el('lifecycle', x_el('phase', phase, ind=4), ind=3), ind=2), ind=1)
        add(v, 'valid-metadata-lifecycle', x_doc(v, life_x('build'), [lib()]),
            j_doc(v, metadata={'timestamp': TS, 'lifecycles': [{'phase': 'build'}]}, components=[j_comp(lib())]))
        add(v, 'invalid-metadata-lifecycle', x_doc(v, life_x('shipping'), [lib()]),
            j_doc(v, metadata={'timestamp': TS, 'lifecycles': [{'phase': 'shipping'}]}, components=[j_comp(lib())]))

    # Attestations (1.6): declarations of conformance with claims, evidence and a signatory.
    if V(v) >= (1, 6):
        def decl_x(score):
            return x_el('declarations',
                x_el('assessors', x_el('assessor', x_el('thirdParty', 'true', ind=4) + x_el('organization', x_el('name', 'Example Test Lab', ind=5), ind=4), {'bom-ref': 'lab'}, 3), ind=2)
                + x_el('attestations', x_el('attestation',
                    x_el('summary', 'Secure by default configuration', ind=4) + x_el('assessor', 'lab', ind=4)
                    + x_el('map', x_el('requirement', 'req-default-config', ind=5)
                        + x_el('claims', x_el('claim', 'claim-1', ind=6), ind=5)
                        + x_el('conformance', x_el('score', score, ind=6) + x_el('rationale', 'Two of three settings verified', ind=6), ind=5)
                        + x_el('confidence', x_el('score', '1', ind=6), ind=5), ind=4) + x_el('ds:Signature', x_el('ds:SignatureValue', 'c2lnbmF0dXJl', ind=5), {'xmlns:ds': 'http://www.w3.org/2000/09/xmldsig#'}, 4), ind=3), ind=2)
                + x_el('claims', x_el('claim', x_el('target', 'webshop', ind=4) + x_el('predicate', 'Ships without default passwords', ind=4)
                    + x_el('reasoning', 'Factory reset generates a per-device secret', ind=4) + x_el('evidence', 'ev-1', ind=4), {'bom-ref': 'claim-1'}, 3), ind=2)
                + x_el('evidence', x_el('evidence', x_el('propertyName', 'internal:default-password', ind=4) + x_el('description', 'Lab test report', ind=4)
                    + x_el('data', x_el('name', 'login attempts', ind=5)
                        + x_el('contents', x_el('attachment', 'admin/admin refused', {'content-type': 'text/plain'}, 6), ind=5)
                        + x_el('classification', 'Public', ind=5) + x_el('sensitiveData', 'none', ind=5), ind=4)
                    + x_el('created', TS, ind=4) + x_el('expires', '2025-05-14T09:30:00Z', ind=4)
                    + x_el('author', x_el('name', 'Jane Tester', ind=5), ind=4) + x_el('reviewer', x_el('name', 'John Reviewer', ind=5), ind=4), {'bom-ref': 'ev-1'}, 3), ind=2)
                + x_el('targets', x_el('organizations', x_el('organization', x_el('name', 'Example Shop GmbH', ind=5), {'bom-ref': 'example-shop'}, 4), ind=3), ind=2)
                + x_el('affirmation', x_el('statement', 'The above is accurate.', ind=3)
                    + x_el('signatories', x_el('signatory', x_el('name', 'Max Example', ind=5) + x_el('role', 'CTO', ind=5)
                        + x_el('organization', x_el('name', 'Example Shop GmbH', ind=6), ind=5)
                        + x_el('externalReference', x_el('url', 'https://shop.example.com/attestations', ind=6), {'type': 'attestation'}, 5), ind=4), ind=3)
                    + x_el('ds:Signature', x_el('ds:SignatureValue', 'c2lnbmF0dXJl', ind=4), {'xmlns:ds': 'http://www.w3.org/2000/09/xmldsig#'}, 3), ind=2)
                + x_el('ds:Signature', x_el('ds:SignatureValue', 'c2lnbmF0dXJl', ind=3), {'xmlns:ds': 'http://www.w3.org/2000/09/xmldsig#'}, 2),
                ind=1) + x_el('ds:Signature', x_el('ds:SignatureValue', 'c2lnbmF0dXJl', ind=2), {'xmlns:ds': 'http://www.w3.org/2000/09/xmldsig#'}, 1)
        def decl_j(score):
            return {'assessors': [{'bom-ref': 'lab', 'thirdParty': True, 'organization': {'name': 'Example Test Lab'}}],
                    'attestations': [{'summary': 'Secure by default configuration', 'assessor': 'lab',
                                      'map': [{'requirement': 'req-default-config', 'claims': ['claim-1'],
                                               'conformance': {'score': score, 'rationale': 'Two of three settings verified'},
                                               'confidence': {'score': 1}}]}],
                    'claims': [{'bom-ref': 'claim-1', 'target': 'webshop', 'predicate': 'Ships without default passwords',
                                'reasoning': 'Factory reset generates a per-device secret', 'evidence': ['ev-1']}],
                    'evidence': [{'bom-ref': 'ev-1', 'propertyName': 'internal:default-password', 'description': 'Lab test report',
                                  'data': [{'name': 'login attempts', 'contents': {'attachment': {'contentType': 'text/plain', 'content': 'admin/admin refused'}},
                                            'classification': 'Public', 'sensitiveData': ['none']}],
                                  'created': TS, 'expires': '2025-05-14T09:30:00Z',
                                  'author': {'name': 'Jane Tester'}, 'reviewer': {'name': 'John Reviewer'}}],
                    'targets': {'organizations': [{'bom-ref': 'example-shop', 'name': 'Example Shop GmbH'}]},
                    'affirmation': {'statement': 'The above is accurate.', 'signatories': [{'name': 'Max Example', 'role': 'CTO', 'organization': {'name': 'Example Shop GmbH'},
                                                                                  'externalReference': {'type': 'attestation', 'url': 'https://shop.example.com/attestations'}}]}}
        add(v, 'valid-attestation', x_doc(v, meta_app_x, None, tail=decl_x('0.66')), j_doc(v, metadata=meta_app_j, declarations=decl_j(0.66)))
        add(v, 'invalid-attestation-score', x_doc(v, meta_app_x, None, tail=decl_x('1.66')), j_doc(v, metadata=meta_app_j, declarations=decl_j(1.66)))

for (v, name), (x, j) in docs.items():
    d = os.path.join(OUT, v)
    os.makedirs(d, exist_ok=True)
    if x is not None:
        open(os.path.join(d, f'{name}-{v}.xml'), 'w').write(x)
    if j is not None:
        open(os.path.join(d, f'{name}-{v}.json'), 'w').write(j)
print(len(docs))
