// `modelyard/receiver`: what a service that receives Modelyard's webhooks needs to trust them — the signature check
// (both schemes Modelyard signs with) and middleware for Express, Fastify and plain node:http. docs/receivers.md.
export { DEFAULT_TOLERANCE_SECONDS, verifyDelivery, type HeaderSource, type VerifyInput, type VerifyResult } from './verify.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  checkDelivery,
  expressReceiver,
  fastifyReceiver,
  nodeReceiver,
  readRawBody,
  type ExpressLikeRequest,
  type ReceiverOptions,
  type ReceiverRequestFields,
  type VerifiedDelivery,
} from './middleware.js';
