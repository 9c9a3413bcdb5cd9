import { z } from 'zod'
import type { AdminRoute } from './route.js'

const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('A stable SB_ERR_* code'),
    message: z.string(),
    path: z.string().optional().describe('Where the problem is, e.g. body.channels[0].type'),
    details: z.array(z.object({ path: z.string().optional(), message: z.string() })).optional(),
  }),
})

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { io, unrepresentable: 'any' })

/** OpenAPI 3.1 from the same zod schemas the handlers validate with. */
export function openApiDocument(routes: readonly AdminRoute[], prefix: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const path = prefix + route.path.replace(/:([A-Za-z]+)/g, '{$1}')
    const parameters = [
      ...objectParameters(route.params, 'path'),
      ...objectParameters(route.query, 'query'),
    ]
    const errors = Object.fromEntries(
      [
        ['400', 'Invalid parameters or body'],
        ['401', 'Missing, invalid or expired credentials'],
        ['403', `Missing permission ${route.permission}`],
        ['404', 'Not found, or not visible to this principal'],
        ...(route.body ? [['413', 'Body too large'], ['415', 'Body is not application/json']] : []),
      ].map(([status, description]) => [status, { description, content: { 'application/json': { schema: jsonSchema(ErrorBody, 'output') } } }]),
    )
    const success = route.produces === 'application/x-ndjson'
      ? { description: 'One JSON document per line', content: { 'application/x-ndjson': { schema: route.response ? jsonSchema(route.response, 'output') : {} } } }
      : { description: 'OK', content: { 'application/json': { schema: route.response ? jsonSchema(route.response, 'output') : {} } } }
    paths[path] = {
      ...paths[path],
      [route.method.toLowerCase()]: {
        summary: route.summary,
        tags: [route.tag],
        operationId: `${route.method.toLowerCase()}${route.path.replace(/[:/](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
        'x-permission': route.permission,
        parameters,
        ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
        responses: { [String(route.successStatus ?? 200)]: success, ...errors },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Switchboard admin API', version: '1', description: 'Tenants, conversations, API keys and the audit log. Every call is authorised by role and audited.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key (sb_…) or a JWT from the configured identity provider' },
      },
    },
    paths,
  }
}

function objectParameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return []
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] }
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
    ...((property as { description?: string }).description ? { description: (property as { description?: string }).description } : {}),
  }))
}
