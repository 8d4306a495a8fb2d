// The test client's types, taken from the OpenAPI document (src/client/schema.d.ts, generated from docs/openapi.json
// by `npm run openapi`): a request to a concrete path such as `/api/v1/teams/vision/runs?limit=5` is matched, segment
// by segment, to its route template (`/api/v1/teams/{team}/runs`), and the reply's body gets that route's success
// type. When a route's response changes, the tests that read it stop type-checking.
import type { paths } from '../../src/client/schema.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

type Split<S extends string> = S extends `${infer Head}/${infer Rest}` ? [Head, ...Split<Rest>] : [S];
type WithoutQuery<S extends string> = S extends `${infer Path}?${string}` ? Path : S;

type SegmentsMatch<Concrete extends string[], Template extends string[]> = Concrete extends [infer C extends string, ...infer CRest extends string[]]
  ? Template extends [infer T extends string, ...infer TRest extends string[]]
    ? T extends `{${string}}`
      ? SegmentsMatch<CRest, TRest>
      : string extends C
        ? SegmentsMatch<CRest, TRest>
        : C extends T
          ? SegmentsMatch<CRest, TRest>
          : false
    : false
  : Template extends []
    ? true
    : false;

/** The route templates a concrete path can be (a segment built from a `string` matches any template segment). */
export type RouteOf<P extends string> = {
  [K in keyof paths & string]: SegmentsMatch<Split<WithoutQuery<P>>, Split<K>> extends true ? K : never;
}[keyof paths & string];

type SuccessJson<R> = {
  [S in keyof R]: S extends 200 | 201 ? (R[S] extends { content: { 'application/json': infer J } } ? J : never) : never;
}[keyof R];

/**
 * What an error answer carries (every 4xx/5xx of the API). Typed as present on every reply: a test reads it after
 * checking the status, and `details` is then the object the route put there (or absent, read as undefined fields).
 */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, any> };
}

type Operation<P extends string, M extends Method> = RouteOf<P> extends infer K extends keyof paths ? (paths[K][M & keyof paths[K]]) : never;

/**
 * The body of a reply: the route's success JSON together with the error envelope (tests read failures through the
 * same reply, after checking the status), or `any` for paths that are not API routes (the UI, /healthz, /metrics)
 * and routes that answer without a JSON body.
 */
export type ReplyBody<P extends string, M extends Method> = [RouteOf<P>] extends [never]
  ? any
  : Operation<P, M> extends { responses: infer R }
    ? [SuccessJson<R>] extends [never]
      ? any
      : SuccessJson<R> & ErrorBody
    : any;
