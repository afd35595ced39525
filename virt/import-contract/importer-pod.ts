// The contract between the DataVolume controller and the importer process: the environment the controller
// gives the importer pod, where the claim is mounted, what the importer reports (progress metric, the
// termination message). Both sides import this file and nothing of each other, like virt/protocol for the
// handler and the launcher. Names follow CDI's importer (its IMPORTER_* variables, its metric), so an
// importer pod reads the way upstream's does.

/** uid/gid the importer runs as: the launcher's (107), so the disk it writes is the launcher's to open. */
export const IMPORTER_UID = 107;

/** Where the target claim is mounted (a Filesystem claim): CDI's /data, the disk at /data/disk.img. */
export const IMPORTER_DATA_DIR = '/data';
/** The disk image on the claim: the file the launcher opens (virt/launcher/volumes finds disk.img first). */
export const DISK_IMAGE_FILE = 'disk.img';
/**
 * The importer's scratch folder on the claim: downloads and the converted image until it is complete.
 * A folder, not a file beside disk.img: the launcher takes the only regular file of a claim as its disk,
 * so a half-written file there could be booted; a folder never is.
 */
export const SCRATCH_DIR = '.virtstack-import';
/** Where a certConfigMap is mounted: every file in it is a trusted CA bundle. */
export const IMPORTER_CERT_DIR = '/certs';
/**
 * Where the secretExtraHeaders Secrets are mounted, one folder each (CDI's /extraheaders): every value of
 * every one is an extra HTTP header, "Name: value".
 */
export const IMPORTER_SECRET_HEADERS_DIR = '/extraheaders';

/** The port and path of the importer's progress metrics (CDI: https on 8443; here plain http, see README). */
export const IMPORTER_METRICS_PORT = 8443;
export const IMPORTER_METRICS_PATH = '/metrics';
/** CDI's metric: percent done, labelled with the DataVolume's uid. */
export const IMPORT_PROGRESS_METRIC = 'kubevirt_cdi_import_progress_total';

/** The importer's source kinds (CDI's IMPORTER_SOURCE values; `none` is a blank disk). */
export const IMPORTER_SOURCES = ['http', 'none', 'registry'] as const;
export type ImporterSource = (typeof IMPORTER_SOURCES)[number];

/** Environment variables of the importer container. */
export const IMPORTER_ENV = {
  source: 'IMPORTER_SOURCE',
  endpoint: 'IMPORTER_ENDPOINT',
  contentType: 'IMPORTER_CONTENTTYPE',
  /** The claim's requested size in bytes (quantity parsed by the controller). */
  imageSize: 'IMPORTER_IMAGE_SIZE',
  /** Fraction of a Filesystem claim kept for the filesystem itself (CDI's FILESYSTEM_OVERHEAD, e.g. "0.055"). */
  filesystemOverhead: 'FILESYSTEM_OVERHEAD',
  /** Basic-auth user and password from the secretRef (keys accessKeyId and secretKey). */
  accessKeyId: 'IMPORTER_ACCESS_KEY_ID',
  secretKey: 'IMPORTER_SECRET_KEY',
  certDir: 'IMPORTER_CERT_DIR',
  /** JSON array of "Name: value" strings (spec.source.http.extraHeaders). */
  extraHeaders: 'IMPORTER_EXTRA_HEADERS',
  /** Set (to IMPORTER_SECRET_HEADERS_DIR) when secretExtraHeaders Secrets are mounted there. */
  secretHeadersDir: 'IMPORTER_SECRET_EXTRA_HEADERS_DIR',
  /** The DataVolume's uid: the metric's ownerUID label. */
  ownerUid: 'OWNER_UID',
  preallocation: 'PREALLOCATION',
} as const;

/** The importer's last words, as JSON in the container's termination message (CDI's TerminationMessage, plus `fatal`). */
export interface ImporterTermination {
  message: string;
  /**
   * A failure no retry can fix (the image does not fit the claim): the controller marks the DataVolume
   * Failed instead of letting the pod restart.
   */
  fatal?: boolean;
  preallocationApplied?: boolean;
}

/** The message of a completed import (CDI's). */
export const IMPORT_COMPLETE = 'Import Complete';

/** Reads a termination message; plain text (a crash before the importer could write JSON) becomes the message. */
export function parseTermination(raw: string | undefined): ImporterTermination | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return v as ImporterTermination;
  } catch {
    // not JSON: fall through
  }
  return { message: raw.trim() };
}

/** Default filesystem overhead (CDI's global default). */
export const DEFAULT_FILESYSTEM_OVERHEAD = 0.055;

/** Bytes a disk may take on a claim of `claimBytes`: the whole claim for Block, less the overhead for Filesystem, 1 MiB aligned down. */
export function usableBytes(claimBytes: number, overhead: number): number {
  const mib = 2 ** 20;
  return Math.floor((claimBytes * (1 - overhead)) / mib) * mib;
}

/** The clone source pod's port and the disk's path under its token. */
export const CLONE_SOURCE_PORT = 8080;
export const cloneSourcePath = (token: string): string => `/${token}/${DISK_IMAGE_FILE}`;
