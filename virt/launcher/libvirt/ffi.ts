// The only file that declares libvirt's C API to koffi. Pointers are koffi 3 BigInts (0n/null = NULL);
// out-parameters are plain Buffers passed as void*, decoded by the caller, so every layout is explicit.
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';

export type Ptr = bigint;

export interface AsyncFn<R> {
  (...args: unknown[]): R;
  async: (...args: unknown[]) => void;
}

function bind(lib: LibraryHandle, proto: string): AsyncFn<unknown> {
  return lib.func(proto) as unknown as AsyncFn<unknown>;
}

export interface LibvirtFFI {
  virConnectOpen: AsyncFn<Ptr | null>;
  virConnectClose: AsyncFn<number>;
  virConnectGetLibVersion: AsyncFn<number>;
  virConnectGetCapabilities: AsyncFn<string | null>;
  virConnectListAllDomains: AsyncFn<number>;
  virConnectSetKeepAlive: AsyncFn<number>;
  virConnectRegisterCloseCallback: AsyncFn<number>;
  virConnectUnregisterCloseCallback: AsyncFn<number>;
  virConnectDomainEventRegisterAny: AsyncFn<number>;
  virConnectDomainEventDeregisterAny: AsyncFn<number>;
  virConnCopyLastError: AsyncFn<number>;
  virResetError: AsyncFn<void>;
  virSetErrorFunc: AsyncFn<void>;
  virDomainDefineXML: AsyncFn<Ptr | null>;
  virDomainCreateXML: AsyncFn<Ptr | null>;
  virDomainCreate: AsyncFn<number>;
  virDomainLookupByName: AsyncFn<Ptr | null>;
  virDomainGetName: AsyncFn<string | null>;
  virDomainGetUUIDString: AsyncFn<number>;
  virDomainGetState: AsyncFn<number>;
  virDomainGetXMLDesc: AsyncFn<string | null>;
  virDomainShutdownFlags: AsyncFn<number>;
  virDomainDestroyFlags: AsyncFn<number>;
  virDomainSuspend: AsyncFn<number>;
  virDomainResume: AsyncFn<number>;
  virDomainUndefineFlags: AsyncFn<number>;
  virDomainFree: AsyncFn<number>;
  virDomainRef: AsyncFn<number>;
  virDomainGetJobInfo: AsyncFn<number>;
  virDomainGetJobStats: AsyncFn<number>;
  virTypedParamsFree: AsyncFn<void>;
  virDomainAbortJob: AsyncFn<number>;
  virDomainMigrateSetMaxDowntime: AsyncFn<number>;
  virDomainMigrateToURI3: AsyncFn<number>;
  virDomainOpenConsole: AsyncFn<number>;
  virStreamNew: AsyncFn<Ptr | null>;
  virStreamRecv: AsyncFn<number>;
  virStreamSend: AsyncFn<number>;
  virStreamFinish: AsyncFn<number>;
  virStreamAbort: AsyncFn<number>;
  virStreamFree: AsyncFn<number>;
  virEventRegisterDefaultImpl: AsyncFn<number>;
  virEventRunDefaultImpl: AsyncFn<number>;
  virEventAddTimeout: AsyncFn<number>;
  virEventRemoveTimeout: AsyncFn<number>;
  free: AsyncFn<void>;
  /** Prototypes for the callbacks libvirt calls back into JS. */
  protos: {
    errorFunc: TypeObject;
    lifecycle: TypeObject;
    closeCallback: TypeObject;
    timeout: TypeObject;
  };
  register(fn: (...args: never[]) => unknown, proto: TypeObject): Ptr;
  unregister(ptr: Ptr): void;
  addressOf(buf: Buffer): Ptr;
  readCString(ptr: Ptr): string;
  view(ptr: Ptr, len: number): Buffer;
}

let loaded: LibvirtFFI | undefined;

export function loadLibvirt(path = 'libvirt.so.0'): LibvirtFFI {
  if (loaded) return loaded;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (cause) {
    throw new Error(`cannot load ${path}: install Debian's libvirt0 package (toolchain/debian-packages.sh libvirt0)`, { cause });
  }
  const libc = koffi.load('libc.so.6');
  const protos = {
    errorFunc: koffi.proto('void virtstackErrorFunc(void *userData, void *error)'),
    lifecycle: koffi.proto('int virtstackLifecycleCb(void *conn, void *dom, int event, int detail, void *opaque)'),
    closeCallback: koffi.proto('void virtstackCloseCb(void *conn, int reason, void *opaque)'),
    timeout: koffi.proto('void virtstackTimeoutCb(int timer, void *opaque)'),
  };
  const f = (p: string) => bind(lib, p);
  loaded = {
    virConnectOpen: f('void *virConnectOpen(const char *name)') as AsyncFn<Ptr | null>,
    virConnectClose: f('int virConnectClose(void *conn)') as AsyncFn<number>,
    virConnectGetLibVersion: f('int virConnectGetLibVersion(void *conn, void *libVer)') as AsyncFn<number>,
    virConnectGetCapabilities: f('str! virConnectGetCapabilities(void *conn)') as AsyncFn<string | null>,
    virConnectListAllDomains: f('int virConnectListAllDomains(void *conn, void *domains, unsigned int flags)') as AsyncFn<number>,
    virConnectSetKeepAlive: f('int virConnectSetKeepAlive(void *conn, int interval, unsigned int count)') as AsyncFn<number>,
    virConnectRegisterCloseCallback: f('int virConnectRegisterCloseCallback(void *conn, void *cb, void *opaque, void *freecb)') as AsyncFn<number>,
    virConnectUnregisterCloseCallback: f('int virConnectUnregisterCloseCallback(void *conn, void *cb)') as AsyncFn<number>,
    virConnectDomainEventRegisterAny: f('int virConnectDomainEventRegisterAny(void *conn, void *dom, int eventID, void *cb, void *opaque, void *freecb)') as AsyncFn<number>,
    virConnectDomainEventDeregisterAny: f('int virConnectDomainEventDeregisterAny(void *conn, int callbackID)') as AsyncFn<number>,
    virConnCopyLastError: f('int virConnCopyLastError(void *conn, void *to)') as AsyncFn<number>,
    virResetError: f('void virResetError(void *err)') as AsyncFn<void>,
    virSetErrorFunc: f('void virSetErrorFunc(void *userData, void *handler)') as AsyncFn<void>,
    virDomainDefineXML: f('void *virDomainDefineXML(void *conn, const char *xml)') as AsyncFn<Ptr | null>,
    virDomainCreateXML: f('void *virDomainCreateXML(void *conn, const char *xml, unsigned int flags)') as AsyncFn<Ptr | null>,
    virDomainCreate: f('int virDomainCreate(void *dom)') as AsyncFn<number>,
    virDomainLookupByName: f('void *virDomainLookupByName(void *conn, const char *name)') as AsyncFn<Ptr | null>,
    virDomainGetName: f('const char *virDomainGetName(void *dom)') as AsyncFn<string | null>,
    virDomainGetUUIDString: f('int virDomainGetUUIDString(void *dom, void *buf)') as AsyncFn<number>,
    virDomainGetState: f('int virDomainGetState(void *dom, void *state, void *reason, unsigned int flags)') as AsyncFn<number>,
    virDomainGetXMLDesc: f('str! virDomainGetXMLDesc(void *dom, unsigned int flags)') as AsyncFn<string | null>,
    virDomainShutdownFlags: f('int virDomainShutdownFlags(void *dom, unsigned int flags)') as AsyncFn<number>,
    virDomainDestroyFlags: f('int virDomainDestroyFlags(void *dom, unsigned int flags)') as AsyncFn<number>,
    virDomainSuspend: f('int virDomainSuspend(void *dom)') as AsyncFn<number>,
    virDomainResume: f('int virDomainResume(void *dom)') as AsyncFn<number>,
    virDomainUndefineFlags: f('int virDomainUndefineFlags(void *dom, unsigned int flags)') as AsyncFn<number>,
    virDomainFree: f('int virDomainFree(void *dom)') as AsyncFn<number>,
    virDomainRef: f('int virDomainRef(void *dom)') as AsyncFn<number>,
    virDomainGetJobInfo: f('int virDomainGetJobInfo(void *dom, void *info)') as AsyncFn<number>,
    virDomainGetJobStats: f('int virDomainGetJobStats(void *dom, void *type, void *params, void *nparams, unsigned int flags)') as AsyncFn<number>,
    virTypedParamsFree: f('void virTypedParamsFree(void *params, int nparams)') as AsyncFn<void>,
    virDomainAbortJob: f('int virDomainAbortJob(void *dom)') as AsyncFn<number>,
    virDomainMigrateSetMaxDowntime: f('int virDomainMigrateSetMaxDowntime(void *dom, unsigned long long downtime, unsigned int flags)') as AsyncFn<number>,
    virDomainMigrateToURI3: f('int virDomainMigrateToURI3(void *dom, const char *dconnuri, void *params, unsigned int nparams, unsigned int flags)') as AsyncFn<number>,
    virDomainOpenConsole: f('int virDomainOpenConsole(void *dom, const char *dev_name, void *st, unsigned int flags)') as AsyncFn<number>,
    virStreamNew: f('void *virStreamNew(void *conn, unsigned int flags)') as AsyncFn<Ptr | null>,
    virStreamRecv: f('int virStreamRecv(void *st, void *data, size_t nbytes)') as AsyncFn<number>,
    virStreamSend: f('int virStreamSend(void *st, void *data, size_t nbytes)') as AsyncFn<number>,
    virStreamFinish: f('int virStreamFinish(void *st)') as AsyncFn<number>,
    virStreamAbort: f('int virStreamAbort(void *st)') as AsyncFn<number>,
    virStreamFree: f('int virStreamFree(void *st)') as AsyncFn<number>,
    virEventRegisterDefaultImpl: f('int virEventRegisterDefaultImpl(void)') as AsyncFn<number>,
    virEventRunDefaultImpl: f('int virEventRunDefaultImpl(void)') as AsyncFn<number>,
    virEventAddTimeout: f('int virEventAddTimeout(int frequency, void *cb, void *opaque, void *ff)') as AsyncFn<number>,
    virEventRemoveTimeout: f('int virEventRemoveTimeout(int timer)') as AsyncFn<number>,
    free: libc.func('void free(void *ptr)') as unknown as AsyncFn<void>,
    protos,
    register: (fn, proto) => koffi.register(fn, koffi.pointer(proto)),
    unregister: (ptr) => koffi.unregister(ptr),
    addressOf: (buf) => koffi.address(buf),
    readCString: (ptr) => koffi.decode(ptr, 'char', -1) as string,
    view: (ptr, len) => Buffer.from(koffi.view(ptr, len)),
  };
  return loaded;
}
