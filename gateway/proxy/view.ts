/** Read-only indexes over a snapshot, built once when it is applied. */
import type { Consumer } from "../contract/entities";
import type { Snapshot, SnapshotApplication, SnapshotApplicationInstance, SnapshotIdpConnection } from "../contract/snapshot";
import type { SnapshotView } from "../plugins/types";

export function buildView(snapshot: Snapshot): SnapshotView {
  const consumersById = new Map<string, Consumer>();
  const byUsername = new Map<string, Consumer>();
  const proxyByCustomId = new Map<string, Consumer>();
  const appByIdpCustomId = new Map<string, Consumer>();
  for (const c of snapshot.consumers) {
    consumersById.set(c.id, c);
    if (c.username !== null) byUsername.set(c.username, c);
    if (c.custom_id !== null) {
      if (c.type === "application" && c.idp_connection) appByIdpCustomId.set(`${c.idp_connection.id}\u0000${c.custom_id}`, c);
      else proxyByCustomId.set(c.custom_id, c);
    }
  }
  const groups = new Map<string, string[]>();
  for (const a of snapshot.acls) {
    const list = groups.get(a.consumer.id);
    if (list) list.push(a.group);
    else groups.set(a.consumer.id, [a.group]);
  }
  const appsByClient = new Map<string, SnapshotApplication>();
  const appsByConsumer = new Map<string, SnapshotApplication>();
  for (const app of snapshot.applications) {
    if (app.client_id !== null) appsByClient.set(`${app.idp_connection_id}\u0000${app.client_id}`, app);
    if (app.consumer_id !== null) appsByConsumer.set(app.consumer_id, app);
  }
  const instances = new Map<string, SnapshotApplicationInstance>();
  for (const i of snapshot.application_instances) instances.set(`${i.application_id}\u0000${i.service_id}`, i);
  const idpByIssuer = new Map<string, SnapshotIdpConnection[]>();
  for (const c of snapshot.idp_connections) {
    const list = idpByIssuer.get(c.issuer);
    if (list) list.push(c);
    else idpByIssuer.set(c.issuer, [c]);
  }
  const revoked = new Map(snapshot.revoked_tokens.map((t) => [t.jti, t.exp]));
  const EMPTY: readonly string[] = Object.freeze([]);

  return {
    version: snapshot.version,
    snapshot,
    consumerById: (id) => consumersById.get(id),
    consumerByUsername: (u) => byUsername.get(u),
    consumerByCustomId(customId, issuer) {
      const proxy = proxyByCustomId.get(customId);
      if (proxy) return proxy;
      if (issuer === undefined) return undefined;
      for (const idp of idpByIssuer.get(issuer) ?? []) {
        const c = appByIdpCustomId.get(`${idp.id}\u0000${customId}`);
        if (c) return c;
      }
      return undefined;
    },
    aclGroups: (consumerId) => groups.get(consumerId) ?? EMPTY,
    applicationByClientId: (idpId, clientId) => appsByClient.get(`${idpId}\u0000${clientId}`),
    applicationByConsumerId: (consumerId) => appsByConsumer.get(consumerId),
    applicationInstance: (appId, serviceId) => instances.get(`${appId}\u0000${serviceId}`),
    idpConnectionsByIssuer: (issuer) => idpByIssuer.get(issuer) ?? [],
    builtinIssuer: snapshot.builtin_issuer,
    isRevoked(jti) {
      const exp = revoked.get(jti);
      return exp !== undefined && exp * 1000 > Date.now();
    },
    sessionSecret: snapshot.session_secret,
  };
}
