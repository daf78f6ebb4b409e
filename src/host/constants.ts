/** yamux: the largest window a stream may grow to. Kept equal to the read buffer so a paused
 * stream can never overflow it (a reset), and small enough that memory per stream is bounded. */
export const MAX_STREAM_WINDOW = 4 * 1024 * 1024
/** Unread bytes a paused stream may hold; must be >= MAX_STREAM_WINDOW. */
export const MAX_READ_BUFFER = 8 * 1024 * 1024
/** Unsent bytes a stream may queue; writers wait for drain long before this. */
export const MAX_WRITE_BUFFER = 16 * 1024 * 1024
/** Inbound connections per second from one host before they are refused (default 5 is too few
 * for a LAN of nodes on one machine). */
export const INBOUND_CONNECTION_THRESHOLD = 100
export const MAX_CONNECTIONS = 300
export const DIAL_TIMEOUT = 10_000
/** A relay reservation request (dial + RESERVE) must be answered within this long. */
export const RESERVATION_TIMEOUT = 10_000

/** mDNS service name fsnode answers to: unique so fsnode nodes never pick up IPFS nodes (and
 * the other way round) on the same LAN. */
export const MDNS_SERVICE_TAG = '_fsnode._udp.local'
/** How often a node asks the LAN who is there (mDNS query). */
export const MDNS_INTERVAL = 10_000
/** Dials started for LAN-discovered peers at once; further finds wait for the next query. */
export const DISCOVERY_DIAL_CONCURRENCY = 4
/** How long one dial to a discovered or remembered peer may take. */
export const DISCOVERY_DIAL_TIMEOUT = 5_000
/** A discovered peer that could not be dialled is not tried again for this long. */
export const DISCOVERY_REDIAL_BACKOFF = 30_000

/** Known peers are kept in this file of the data dir. */
export const PEERS_FILE = 'peers.json'
/** Peers remembered at most (the most recently seen win). */
export const MAX_REMEMBERED_PEERS = 200
/** Addresses remembered per peer. */
export const MAX_REMEMBERED_ADDRS = 8
/** peers.json is written at most this often (and once more on stop). */
export const PEERS_SAVE_DEBOUNCE = 2_000
/** Remembered peers dialled at once on start. */
export const REJOIN_DIAL_CONCURRENCY = 4
/** On start, stop dialling remembered peers once this many answered: the DHT finds the rest. */
export const REJOIN_TARGET = 8
/** While a node has no connection at all it tries its remembered and bootstrap peers again
 * this often. */
export const REJOIN_INTERVAL = 30_000

/** Provider records: how long a record stays valid on the peers that store it. There is no
 * withdraw message in Kademlia: a record of a file no longer shared lingers this long at most
 * (plus one cleanup interval). The kad-dht defaults (48 h valid, refreshed 24 h before expiry). */
export const PROVIDE_VALIDITY = 48 * 60 * 60 * 1000
/** Where kad-dht keeps provider records in the datastore (its default datastorePrefix + /provider). */
export const PROVIDER_KEY_PREFIX = '/dht/provider'
/** Provider records of other peers a node keeps in all; past it the oldest is dropped. About
 * 420 bytes of heap each: whatever the flood and the number of peer ids, ~8.5 MB. */
export const MAX_PROVIDER_RECORDS = 20_000
/** Provider records a node keeps per provider peer; past it that peer's oldest is dropped. A
 * peer sharing more files than this is found through the coordinator for the rest (in a network
 * of more than k = 20 nodes each node holds only a share of a peer's records). */
export const MAX_PROVIDER_RECORDS_PER_PEER = 5_000
/** Provider records one peer may announce per PROVIDER_RATE_WINDOW; past it its announces are
 * refused until the window ends. A node re-providing everything it shares sends each peer a few
 * dozen per second at most. */
export const PROVIDER_RATE_RECORDS = 1_000
/** Provider records all peers together may announce per PROVIDER_RATE_WINDOW: bounds what a
 * flood from many peer ids costs in message handling (the records themselves are capped). */
export const PROVIDER_RATE_RECORDS_TOTAL = 5_000
export const PROVIDER_RATE_WINDOW = 10_000
/** DHT messages one peer may send per KAD_PEER_WINDOW, all types and streams together; past it
 * its streams are reset (kad-guard.ts). An honest node sends a few per query and one
 * ADD_PROVIDER per record, each on a stream of its own: one providing 4,000 files 4 at a time to
 * a network of two sent its peer at most 2,000 per 10 s on this (loaded) machine. A flood of
 * 200,000 PINGs handled up to this limit cost a node 9 MB. */
export const KAD_PEER_MESSAGES = 10_000
export const KAD_PEER_WINDOW = 10_000
/** Streams reset per KAD_PEER_WINDOW before the peer is cut off for KAD_PEER_BAN (connections
 * closed, new ones refused): a flooder that opens stream after stream is no longer received. */
export const KAD_PEER_STRIKES = 3
export const KAD_PEER_BAN = 2 * 60_000
/** Peers cut off at once at most (the oldest ban is lifted first). */
export const MAX_KAD_BANNED = 10_000
/** Re-provide a record of ours once its expiry is this close. */
export const REPROVIDE_THRESHOLD = 24 * 60 * 60 * 1000
/** How often the DHT checks which records of ours need re-providing (and drops others' expired
 * records). */
export const REPROVIDE_INTERVAL = 60 * 60 * 1000
/** Provide operations run at once by the provide upkeep (each one is a DHT walk plus up to 20
 * ADD_PROVIDER messages). */
export const PROVIDE_CONCURRENCY = 4
/** How long one provide may take. */
export const PROVIDE_TIMEOUT = 30_000
/** A provide that reached no peer is retried after this long, doubling up to the max. */
export const PROVIDE_RETRY_MIN = 5_000
export const PROVIDE_RETRY_MAX = 5 * 60 * 1000
/** While the routing table is empty the upkeep checks again this often before providing. */
export const PROVIDE_READY_POLL = 500
/** While the node downloads or serves chunks, provides wait (checked every PROVIDE_READY_POLL),
 * each id at most this long after it was queued: a folder get of 2,000 files queued 2,000
 * provides (a DHT query and ADD_PROVIDER messages each) that took a sixth of the downloader's
 * CPU during the get; a provider that had shared 2,000 files 60-120 s before a folder get
 * provided them during it (12-16 s of its CPU; the get 37-78 files/s instead of ~270).
 * The coordinators are told at once: this delays only finding the files through the DHT. */
export const PROVIDE_DEFER_MAX = 5 * 60_000
/** Changes to the shared file ids within this window reach the provide upkeep as one diff (a
 * diff reads every shared file id: per change, a seeded get cost a diff that grew with the
 * share); the first diff also waits this long after start, so the node is answering first. */
export const PROVIDE_SYNC_DELAY = 1_000
/** findProviders stops after this many providers unless told otherwise. */
export const FIND_PROVIDERS_LIMIT = 20
/** A provider lookup that found nothing is walked again when another walk could go further (its
 * queries all failed; or it asked fewer than LOOKUP_MIN_PEERS, or the routing table grew during
 * it, and the table has grown since), up to this many walks in all. */
export const LOOKUP_WALKS = 3
/** ms before walking again after every query failed (twice that before the third walk). */
export const LOOKUP_RETRY_DELAY = 250
/** A walk that asked fewer peers than this ended early (see LOOKUP_WALKS). */
export const LOOKUP_MIN_PEERS = 3
/** ms to wait for the routing table to grow before walking again (twice that before the third). */
export const LOOKUP_GROW_WAIT = 1_000
/** ms to wait instead when the peers asked named peers the walk did not ask: kad-dht adds those
 * to the routing table only after a ping each (a new connection: seconds on a loaded machine;
 * a client that gave up after LOOKUP_GROW_WAIT failed with a table of 1 while they were on
 * their way). */
export const LOOKUP_OFFERED_WAIT = 10_000
/** The least time a peer has to answer kad-dht's routing table ping (it adapts upwards from there
 * on slow answers; kad-dht's own floor is 5 s). */
export const KAD_PING_TIMEOUT = 15_000
/** kad-dht's k (bucket size, peers a record is stored on, providers a lookup stops at). */
export const KAD_K = 20
/** After a routing table peer is added, wait this long before looking ourselves up (so a burst
 * of new peers costs one lookup). */
export const JOIN_LOOKUP_DELAY = 1_000
/** Self-lookups while joining are at least this far apart (doubling while nothing new is found). */
export const JOIN_LOOKUP_GAP = 5_000
export const JOIN_LOOKUP_TIMEOUT = 10_000
/** Ping streams per connection. libp2p's connection monitor pings every connection every 10 s
 * and aborts the connection when its ping fails; kad-dht pings routing table contacts too. With
 * @libp2p/ping's defaults (1 out, 2 in) the two collide (TooManyOutboundProtocolStreamsError)
 * and healthy connections are torn down. */
export const PING_MAX_OUTBOUND_STREAMS = 4
export const PING_MAX_INBOUND_STREAMS = 8
/** First retry of a rejoin that reached nobody; doubles up to REJOIN_INTERVAL. */
export const REJOIN_RETRY_MIN = 2_000
/** Self-lookups in a row that found nobody new before the join helper leaves it to kad-dht. */
export const JOIN_IDLE_LOOKUPS = 4
/** A rejoin tries at most this many remembered peers (the most recently seen), then the
 * bootstrap peers: a node cut off for a while does not dial all 200 every round. */
export const REJOIN_MAX_REMEMBERED = 32

/** How long after the node starts its UPnP port mapping is loaded and started (see upnp.ts):
 * past a restart's ready, whose CPU it would otherwise share. */
export const UPNP_LOAD_DELAY_MS = 2_000
