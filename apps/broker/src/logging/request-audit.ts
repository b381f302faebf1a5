import type { IncomingMessage } from 'node:http';

/** What the routes attach to the raw request for the access/audit line (never a token or key). */
export interface RequestAudit {
  caller?: string;
  profile?: string;
  fence?: number;
  fingerprint?: string;
}

const AUDIT = Symbol('requestAudit');
type Audited = IncomingMessage & { [AUDIT]?: RequestAudit };

export function audit(request: IncomingMessage, fields: RequestAudit): void {
  const target = request as Audited;
  target[AUDIT] = { ...target[AUDIT], ...fields };
}

/** Attaches `fields` itself (no copy): the caller may keep filling it in. */
export function recordAudit(request: IncomingMessage, fields: RequestAudit): void {
  (request as Audited)[AUDIT] = fields;
}

export const auditOf = (request: IncomingMessage): RequestAudit => (request as Audited)[AUDIT] ?? {};
