import type { IncomingMessage, ServerResponse } from 'node:http';
import { coerceInputValue, isNonNullType, type GraphQLArgument, type GraphQLSchema } from 'graphql';
import type { IdentityContext, IdentityServices } from '../../identity/services.js';
import { issueAuthorizationToken } from '../../identity/token-issuer.js';
import { checkMethod, DrfResponse, fieldRequired, readFields, serveView } from './lib/drf.js';

/** The body's fields as the arguments of `obtainAuthorizationToken`, checked and coerced by their GraphQL types. */
function argumentsOf(fields: Record<string, unknown>, args: readonly GraphQLArgument[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const arg of args) {
    const given = fields[arg.name];
    if (given === undefined || given === null || given === '') {
      if (isNonNullType(arg.type)) throw fieldRequired(arg.name);
      if (arg.defaultValue !== undefined) values[arg.name] = arg.defaultValue;
      continue;
    }
    values[arg.name] = coerceInputValue(given, arg.type, (_path, _value, error) => {
      throw new DrfResponse(400, { [arg.name]: [error.message] });
    });
  }
  return values;
}

/**
 * `POST /authorize/`: django-rest-framework-sso's `obtain_authorization_token`. With
 * `Authorization: JWT <session token>` and the extra arguments (`authorizationArgs`) as fields,
 * it gives `{"token"}`; unknown fields are ignored, as DRF serializers do.
 */
export function obtainAuthorizationTokenView(
  services: IdentityServices,
  schema: GraphQLSchema,
  context: (args: { req: IncomingMessage }) => Promise<IdentityContext>,
  options: { bodyLimit: number },
) {
  const args = schema.getMutationType()?.getFields().obtainAuthorizationToken?.args ?? [];
  return (req: IncomingMessage, res: ServerResponse) =>
    serveView(res, services.settings.authenticateHeader, async () => {
      if (checkMethod(req) === 'options') return null;
      const { auth, user, request } = await context({ req });
      if (!auth) throw new DrfResponse(401, { detail: 'Authentication credentials were not provided.' }, { 'www-authenticate': `${services.settings.authenticateHeader} realm="api"` });
      const values = argumentsOf(await readFields(req, options.bodyLimit), args);
      return { token: await issueAuthorizationToken(services, { auth, user: await user, args: values, request }) };
    });
}
