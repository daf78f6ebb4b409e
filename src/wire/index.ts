import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface FileEntry {
  name: string
  fileId: Uint8Array<ArrayBuffer>
  size: number
  mtime: number
}

export namespace FileEntry {
  let _codec: Codec<FileEntry>

  export const codec = (): Codec<FileEntry> => {
    if (_codec == null) {
      _codec = message<FileEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.fileId != null && obj.fileId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.fileId)
        }

        if ((obj.size != null && obj.size !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.size)
        }

        if ((obj.mtime != null && obj.mtime !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.mtime)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          fileId: uint8ArrayAlloc(0),
          size: 0,
          mtime: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.fileId = reader.bytes()
              break
            }
            case 3: {
              obj.size = reader.uint64Number()
              break
            }
            case 4: {
              obj.mtime = reader.uint64Number()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.mtime`,
                value: reader.uint64Number()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FileEntryNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface FileEntryFileIdFieldEvent {
    field: '$.fileId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FileEntrySizeFieldEvent {
    field: '$.size'
    value: number
  }

  export interface FileEntryMtimeFieldEvent {
    field: '$.mtime'
    value: number
  }

  export function encode (obj: Partial<FileEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FileEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FileEntry>): FileEntry {
    return decodeMessage(buf, FileEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FileEntry>): Generator<FileEntryNameFieldEvent | FileEntryFileIdFieldEvent | FileEntrySizeFieldEvent | FileEntryMtimeFieldEvent> {
    return streamMessage(buf, FileEntry.codec(), opts)
  }
}

export interface IndexRequest {
  type: IndexRequest.Type
  replace: boolean
  files: FileEntry[]
  addrs: Uint8Array<ArrayBuffer>[]
  names: string[]
  query: string
  fileId: Uint8Array<ArrayBuffer>
  cursor: string
  limit: number
}

export namespace IndexRequest {
  export enum Type {
    UNKNOWN = 'UNKNOWN',
    ANNOUNCE = 'ANNOUNCE',
    WITHDRAW = 'WITHDRAW',
    LIST = 'LIST',
    SEARCH = 'SEARCH',
    LOOKUP = 'LOOKUP'
  }

  enum __TypeValues {
    UNKNOWN = 0,
    ANNOUNCE = 1,
    WITHDRAW = 2,
    LIST = 3,
    SEARCH = 4,
    LOOKUP = 5
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<IndexRequest>

  export const codec = (): Codec<IndexRequest> => {
    if (_codec == null) {
      _codec = message<IndexRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          IndexRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.replace != null && obj.replace !== false)) {
          w.uint32(16)
          w.bool(obj.replace)
        }

        if (obj.files != null && obj.files.length > 0) {
          for (const value of obj.files) {
            w.uint32(26)
            FileEntry.codec().encode(value, w)
          }
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if (obj.names != null && obj.names.length > 0) {
          for (const value of obj.names) {
            w.uint32(42)
            w.string(value)
          }
        }

        if ((obj.query != null && obj.query !== '')) {
          w.uint32(50)
          w.string(obj.query)
        }

        if ((obj.fileId != null && obj.fileId.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.fileId)
        }

        if ((obj.cursor != null && obj.cursor !== '')) {
          w.uint32(66)
          w.string(obj.cursor)
        }

        if ((obj.limit != null && obj.limit !== 0)) {
          w.uint32(72)
          w.uint32(obj.limit)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.UNKNOWN,
          replace: false,
          files: [],
          addrs: [],
          names: [],
          query: '',
          fileId: uint8ArrayAlloc(0),
          cursor: '',
          limit: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = IndexRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.replace = reader.bool()
              break
            }
            case 3: {
              if (opts.limits?.files != null && obj.files.length === opts.limits.files) {
                throw new MaxLengthError('Decode error - repeated field "files" had too many elements')
              }

              obj.files.push(FileEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.files$
              }))
              break
            }
            case 4: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            case 5: {
              if (opts.limits?.names != null && obj.names.length === opts.limits.names) {
                throw new MaxLengthError('Decode error - repeated field "names" had too many elements')
              }

              obj.names.push(reader.string())
              break
            }
            case 6: {
              obj.query = reader.string()
              break
            }
            case 7: {
              obj.fileId = reader.bytes()
              break
            }
            case 8: {
              obj.cursor = reader.string()
              break
            }
            case 9: {
              obj.limit = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          files: 0,
          addrs: 0,
          names: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: IndexRequest.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.replace`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              if (opts.limits?.files != null && obj.files === opts.limits.files) {
                throw new MaxLengthError('Streaming decode error - repeated field "files" had too many elements')
              }

              for (const evt of FileEntry.codec().stream(reader, reader.uint32(), `${prefix}.files[]`, {
                limits: opts.limits?.files$
              })) {
                yield {
                  ...evt,
                  index: obj.files
                }
              }

              obj.files++

              break
            }
            case 4: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            case 5: {
              if (opts.limits?.names != null && obj.names === opts.limits.names) {
                throw new MaxLengthError('Streaming decode error - repeated field "names" had too many elements')
              }

              yield {
                field: `${prefix}.names[]`,
                index: obj.names,
                value: reader.string()
              }

              obj.names++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.query`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.cursor`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.limit`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface IndexRequestTypeFieldEvent {
    field: '$.type'
    value: IndexRequest.Type
  }

  export interface IndexRequestReplaceFieldEvent {
    field: '$.replace'
    value: boolean
  }

  export interface IndexRequestFilesNameFieldEvent {
    field: '$.files[].name'
    value: string
    index: number
  }

  export interface IndexRequestFilesFileIdFieldEvent {
    field: '$.files[].fileId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexRequestFilesSizeFieldEvent {
    field: '$.files[].size'
    value: number
    index: number
  }

  export interface IndexRequestFilesMtimeFieldEvent {
    field: '$.files[].mtime'
    value: number
    index: number
  }

  export interface IndexRequestAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexRequestNamesFieldEvent {
    field: '$.names[]'
    index: number
    value: string
  }

  export interface IndexRequestQueryFieldEvent {
    field: '$.query'
    value: string
  }

  export interface IndexRequestFileIdFieldEvent {
    field: '$.fileId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexRequestCursorFieldEvent {
    field: '$.cursor'
    value: string
  }

  export interface IndexRequestLimitFieldEvent {
    field: '$.limit'
    value: number
  }

  export function encode (obj: Partial<IndexRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, IndexRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IndexRequest>): IndexRequest {
    return decodeMessage(buf, IndexRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IndexRequest>): Generator<IndexRequestTypeFieldEvent | IndexRequestReplaceFieldEvent | IndexRequestFilesNameFieldEvent | IndexRequestFilesFileIdFieldEvent | IndexRequestFilesSizeFieldEvent | IndexRequestFilesMtimeFieldEvent | IndexRequestAddrsFieldEvent | IndexRequestNamesFieldEvent | IndexRequestQueryFieldEvent | IndexRequestFileIdFieldEvent | IndexRequestCursorFieldEvent | IndexRequestLimitFieldEvent> {
    return streamMessage(buf, IndexRequest.codec(), opts)
  }
}

export interface Provider {
  peerId: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
  online: boolean
}

export namespace Provider {
  let _codec: Codec<Provider>

  export const codec = (): Codec<Provider> => {
    if (_codec == null) {
      _codec = message<Provider>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if ((obj.online != null && obj.online !== false)) {
          w.uint32(24)
          w.bool(obj.online)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          addrs: [],
          online: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            case 3: {
              obj.online = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.online`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ProviderPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ProviderAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ProviderOnlineFieldEvent {
    field: '$.online'
    value: boolean
  }

  export function encode (obj: Partial<Provider>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Provider.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Provider>): Provider {
    return decodeMessage(buf, Provider.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Provider>): Generator<ProviderPeerIdFieldEvent | ProviderAddrsFieldEvent | ProviderOnlineFieldEvent> {
    return streamMessage(buf, Provider.codec(), opts)
  }
}

export interface ListEntry {
  name: string
  fileId: Uint8Array<ArrayBuffer>
  size: number
  mtime: number
  peerId: Uint8Array<ArrayBuffer>
}

export namespace ListEntry {
  let _codec: Codec<ListEntry>

  export const codec = (): Codec<ListEntry> => {
    if (_codec == null) {
      _codec = message<ListEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.fileId != null && obj.fileId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.fileId)
        }

        if ((obj.size != null && obj.size !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.size)
        }

        if ((obj.mtime != null && obj.mtime !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.mtime)
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.peerId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          fileId: uint8ArrayAlloc(0),
          size: 0,
          mtime: 0,
          peerId: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.fileId = reader.bytes()
              break
            }
            case 3: {
              obj.size = reader.uint64Number()
              break
            }
            case 4: {
              obj.mtime = reader.uint64Number()
              break
            }
            case 5: {
              obj.peerId = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.mtime`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ListEntryNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface ListEntryFileIdFieldEvent {
    field: '$.fileId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ListEntrySizeFieldEvent {
    field: '$.size'
    value: number
  }

  export interface ListEntryMtimeFieldEvent {
    field: '$.mtime'
    value: number
  }

  export interface ListEntryPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ListEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ListEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ListEntry>): ListEntry {
    return decodeMessage(buf, ListEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ListEntry>): Generator<ListEntryNameFieldEvent | ListEntryFileIdFieldEvent | ListEntrySizeFieldEvent | ListEntryMtimeFieldEvent | ListEntryPeerIdFieldEvent> {
    return streamMessage(buf, ListEntry.codec(), opts)
  }
}

export interface LookupResult {
  fileId: Uint8Array<ArrayBuffer>
  name: string
  size: number
  providers: Provider[]
}

export namespace LookupResult {
  let _codec: Codec<LookupResult>

  export const codec = (): Codec<LookupResult> => {
    if (_codec == null) {
      _codec = message<LookupResult>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.fileId != null && obj.fileId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.fileId)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if ((obj.size != null && obj.size !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.size)
        }

        if (obj.providers != null && obj.providers.length > 0) {
          for (const value of obj.providers) {
            w.uint32(34)
            Provider.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          fileId: uint8ArrayAlloc(0),
          name: '',
          size: 0,
          providers: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.fileId = reader.bytes()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.size = reader.uint64Number()
              break
            }
            case 4: {
              if (opts.limits?.providers != null && obj.providers.length === opts.limits.providers) {
                throw new MaxLengthError('Decode error - repeated field "providers" had too many elements')
              }

              obj.providers.push(Provider.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.providers$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          providers: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              if (opts.limits?.providers != null && obj.providers === opts.limits.providers) {
                throw new MaxLengthError('Streaming decode error - repeated field "providers" had too many elements')
              }

              for (const evt of Provider.codec().stream(reader, reader.uint32(), `${prefix}.providers[]`, {
                limits: opts.limits?.providers$
              })) {
                yield {
                  ...evt,
                  index: obj.providers
                }
              }

              obj.providers++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface LookupResultFileIdFieldEvent {
    field: '$.fileId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LookupResultNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface LookupResultSizeFieldEvent {
    field: '$.size'
    value: number
  }

  export interface LookupResultProvidersPeerIdFieldEvent {
    field: '$.providers[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LookupResultProvidersAddrsFieldEvent {
    field: '$.providers[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface LookupResultProvidersOnlineFieldEvent {
    field: '$.providers[].online'
    value: boolean
    index: number
  }

  export function encode (obj: Partial<LookupResult>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LookupResult.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LookupResult>): LookupResult {
    return decodeMessage(buf, LookupResult.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LookupResult>): Generator<LookupResultFileIdFieldEvent | LookupResultNameFieldEvent | LookupResultSizeFieldEvent | LookupResultProvidersPeerIdFieldEvent | LookupResultProvidersAddrsFieldEvent | LookupResultProvidersOnlineFieldEvent> {
    return streamMessage(buf, LookupResult.codec(), opts)
  }
}

export interface IndexResponse {
  status: IndexResponse.Status
  code: string
  error: string
  entries: ListEntry[]
  nextCursor: string
  results: LookupResult[]
  accepted: number
  providers: Provider[]
}

export namespace IndexResponse {
  export enum Status {
    OK = 'OK',
    ERROR = 'ERROR'
  }

  enum __StatusValues {
    OK = 0,
    ERROR = 1
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<IndexResponse>

  export const codec = (): Codec<IndexResponse> => {
    if (_codec == null) {
      _codec = message<IndexResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          IndexResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.code != null && obj.code !== '')) {
          w.uint32(18)
          w.string(obj.code)
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(26)
          w.string(obj.error)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(34)
            ListEntry.codec().encode(value, w)
          }
        }

        if ((obj.nextCursor != null && obj.nextCursor !== '')) {
          w.uint32(42)
          w.string(obj.nextCursor)
        }

        if (obj.results != null && obj.results.length > 0) {
          for (const value of obj.results) {
            w.uint32(50)
            LookupResult.codec().encode(value, w)
          }
        }

        if ((obj.accepted != null && obj.accepted !== 0)) {
          w.uint32(56)
          w.uint32(obj.accepted)
        }

        if (obj.providers != null && obj.providers.length > 0) {
          for (const value of obj.providers) {
            w.uint32(66)
            Provider.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          code: '',
          error: '',
          entries: [],
          nextCursor: '',
          results: [],
          accepted: 0,
          providers: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = IndexResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.code = reader.string()
              break
            }
            case 3: {
              obj.error = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(ListEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            case 5: {
              obj.nextCursor = reader.string()
              break
            }
            case 6: {
              if (opts.limits?.results != null && obj.results.length === opts.limits.results) {
                throw new MaxLengthError('Decode error - repeated field "results" had too many elements')
              }

              obj.results.push(LookupResult.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.results$
              }))
              break
            }
            case 7: {
              obj.accepted = reader.uint32()
              break
            }
            case 8: {
              if (opts.limits?.providers != null && obj.providers.length === opts.limits.providers) {
                throw new MaxLengthError('Decode error - repeated field "providers" had too many elements')
              }

              obj.providers.push(Provider.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.providers$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          entries: 0,
          results: 0,
          providers: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: IndexResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.code`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 4: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of ListEntry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                limits: opts.limits?.entries$
              })) {
                yield {
                  ...evt,
                  index: obj.entries
                }
              }

              obj.entries++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.nextCursor`,
                value: reader.string()
              }
              break
            }
            case 6: {
              if (opts.limits?.results != null && obj.results === opts.limits.results) {
                throw new MaxLengthError('Streaming decode error - repeated field "results" had too many elements')
              }

              for (const evt of LookupResult.codec().stream(reader, reader.uint32(), `${prefix}.results[]`, {
                limits: opts.limits?.results$
              })) {
                yield {
                  ...evt,
                  index: obj.results
                }
              }

              obj.results++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.accepted`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              if (opts.limits?.providers != null && obj.providers === opts.limits.providers) {
                throw new MaxLengthError('Streaming decode error - repeated field "providers" had too many elements')
              }

              for (const evt of Provider.codec().stream(reader, reader.uint32(), `${prefix}.providers[]`, {
                limits: opts.limits?.providers$
              })) {
                yield {
                  ...evt,
                  index: obj.providers
                }
              }

              obj.providers++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface IndexResponseStatusFieldEvent {
    field: '$.status'
    value: IndexResponse.Status
  }

  export interface IndexResponseCodeFieldEvent {
    field: '$.code'
    value: string
  }

  export interface IndexResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface IndexResponseEntriesNameFieldEvent {
    field: '$.entries[].name'
    value: string
    index: number
  }

  export interface IndexResponseEntriesFileIdFieldEvent {
    field: '$.entries[].fileId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexResponseEntriesSizeFieldEvent {
    field: '$.entries[].size'
    value: number
    index: number
  }

  export interface IndexResponseEntriesMtimeFieldEvent {
    field: '$.entries[].mtime'
    value: number
    index: number
  }

  export interface IndexResponseEntriesPeerIdFieldEvent {
    field: '$.entries[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexResponseNextCursorFieldEvent {
    field: '$.nextCursor'
    value: string
  }

  export interface IndexResponseResultsFileIdFieldEvent {
    field: '$.results[].fileId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexResponseResultsNameFieldEvent {
    field: '$.results[].name'
    value: string
    index: number
  }

  export interface IndexResponseResultsSizeFieldEvent {
    field: '$.results[].size'
    value: number
    index: number
  }

  export interface IndexResponseResultsProvidersPeerIdFieldEvent {
    field: '$.results[].providers[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexResponseResultsProvidersAddrsFieldEvent {
    field: '$.results[].providers[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexResponseResultsProvidersOnlineFieldEvent {
    field: '$.results[].providers[].online'
    value: boolean
    index: number
  }

  export interface IndexResponseAcceptedFieldEvent {
    field: '$.accepted'
    value: number
  }

  export interface IndexResponseProvidersPeerIdFieldEvent {
    field: '$.providers[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexResponseProvidersAddrsFieldEvent {
    field: '$.providers[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexResponseProvidersOnlineFieldEvent {
    field: '$.providers[].online'
    value: boolean
    index: number
  }

  export function encode (obj: Partial<IndexResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, IndexResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IndexResponse>): IndexResponse {
    return decodeMessage(buf, IndexResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IndexResponse>): Generator<IndexResponseStatusFieldEvent | IndexResponseCodeFieldEvent | IndexResponseErrorFieldEvent | IndexResponseEntriesNameFieldEvent | IndexResponseEntriesFileIdFieldEvent | IndexResponseEntriesSizeFieldEvent | IndexResponseEntriesMtimeFieldEvent | IndexResponseEntriesPeerIdFieldEvent | IndexResponseNextCursorFieldEvent | IndexResponseResultsFileIdFieldEvent | IndexResponseResultsNameFieldEvent | IndexResponseResultsSizeFieldEvent | IndexResponseResultsProvidersPeerIdFieldEvent | IndexResponseResultsProvidersAddrsFieldEvent | IndexResponseResultsProvidersOnlineFieldEvent | IndexResponseAcceptedFieldEvent | IndexResponseProvidersPeerIdFieldEvent | IndexResponseProvidersAddrsFieldEvent | IndexResponseProvidersOnlineFieldEvent> {
    return streamMessage(buf, IndexResponse.codec(), opts)
  }
}
