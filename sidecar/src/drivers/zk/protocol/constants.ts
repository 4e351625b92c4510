/** ZK binary protocol command and reply codes (pyzk zk/const.py, adrobinoga/zk-protocol). */
export const Cmd = {
  CONNECT: 1000,
  EXIT: 1001,
  ENABLEDEVICE: 1002,
  DISABLEDEVICE: 1003,
  REFRESHDATA: 1013,
  GET_VERSION: 1100,
  AUTH: 1102,
  PREPARE_DATA: 1500,
  DATA: 1501,
  FREE_DATA: 1502,
  DATA_WRRQ: 1503,
  DATA_RDY: 1504,
  /** Write one user record (the device's 72- or 28-byte format); the same uid replaces the user. */
  USER_WRQ: 8,
  /** Read a table (DATA_WRRQ table id; with FCT_FINGERTMP: the fingerprint templates). */
  DB_RRQ: 7,
  USERTEMP_RRQ: 9,
  OPTIONS_RRQ: 11,
  OPTIONS_WRQ: 12,
  ATTLOG_RRQ: 13,
  CLEAR_DATA: 14,
  CLEAR_ATTLOG: 15,
  /** Delete one user: data = uint16 internal uid. */
  DELETE_USER: 18,
  GET_FREE_SIZES: 50,
  /** Store the uploaded buffer (PREPARE_DATA + DATA) as one template: uint16 uid, uint8 finger, uint8 valid, uint16 size. */
  TMP_WRITE: 87,
  STARTVERIFY: 60,
  CANCELCAPTURE: 62,
  GET_TIME: 201,
  SET_TIME: 202,
  REG_EVENT: 500,
  ACK_OK: 2000,
  ACK_ERROR: 2001,
  ACK_DATA: 2002,
  ACK_RETRY: 2003,
  ACK_REPEAT: 2004,
  ACK_UNAUTH: 2005,
  ACK_UNKNOWN: 65535,
} as const;

export const EventFlag = {
  ATTLOG: 1,
} as const;

/** User table id inside DATA_WRRQ (pyzk FCT_USER). */
export const FCT_USER = 5;
/** Fingerprint template table id inside DATA_WRRQ (pyzk FCT_FINGERTMP), with table DB_RRQ. */
export const FCT_FINGERTMP = 2;
/** Largest CMD_DATA packet of an upload (pyzk `_send_with_buffer` MAX_CHUNK). */
export const UPLOAD_CHUNK = 1024;

/** TCP "top" magic: 50 50 82 7D. */
export const TCP_MAGIC_1 = 0x5050;
export const TCP_MAGIC_2 = 0x7d82;

export const HEADER_BYTES = 8;
export const TCP_TOP_BYTES = 8;

/** Largest chunk requested per DATA_RDY over TCP (pyzk/node-zklib MAX_CHUNK). */
export const TCP_MAX_CHUNK = 0xffc0;
/** Over UDP pyzk asks 16 KiB at a time; a device answers in datagrams of at most 1024 data bytes. */
export const UDP_MAX_CHUNK = 16 * 1024;
export const UDP_MAX_DATA_PER_DATAGRAM = 1024;

/** Anything larger than this in one frame is not a ZK device talking. */
export const MAX_FRAME_BYTES = 1024 * 1024;

export const USHRT_MAX = 0xffff;
