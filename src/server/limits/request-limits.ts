import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { ValidationRule } from 'graphql';
import type { SsoSettings } from '../../config/settings.js';
import { requireFeature } from '../../lib/optional-packages.js';
import { entitiesLimitPlugin } from './entities-limit-plugin.js';
import { operationLimitsRule } from './operation-limits-rule.js';

/** Apollo Server options, to spread into `new ApolloServer({ ... })`. */
export interface ApolloRequestLimits<TContext extends BaseContext = BaseContext> {
  validationRules: ValidationRule[];
  introspection: boolean;
  csrfPrevention: true;
  /** A batch cannot be capped from inside Apollo Server; the identity service caps its own. */
  allowBatchedHttpRequests: false;
  /** The landing page turned off with introspection; merge with your own plugins. */
  plugins: ApolloServerPlugin<TContext>[];
}

export interface RequestLimitsOptions {
  /** Decides `introspection: null`, as Apollo Server decides its defaults. Default: `process.env.NODE_ENV`. */
  nodeEnv?: string;
}

/**
 * The Apollo Server options that hold a subgraph to `settings.limits` and `settings.introspection`:
 * query depth, aliases and root fields as a validation rule (HTTP 400), entity representations
 * per operation (`limits.maxEntities`, HTTP 400) as a plugin, CSRF prevention on, and,
 * when introspection is off (by default where `NODE_ENV` is `production`), no landing page either.
 * The token length limit is `createSsoContext`'s; the body size is the HTTP server's (Apollo's
 * `startStandaloneServer` takes 50 MB, Express its `json({ limit })`).
 *
 * ```ts
 * const limits = requestLimits(settings);
 * new ApolloServer({ schema, ...limits, plugins: [...limits.plugins, myPlugin] });
 * ```
 */
export function requestLimits<TContext extends BaseContext = BaseContext>(
  settings: Pick<SsoSettings, 'limits' | 'introspection'>,
  { nodeEnv = process.env.NODE_ENV }: RequestLimitsOptions = {},
): ApolloRequestLimits<TContext> {
  const introspection = settings.introspection ?? nodeEnv !== 'production';
  return {
    validationRules: [operationLimitsRule(settings.limits)],
    introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    plugins: [entitiesLimitPlugin<TContext>(settings.limits.maxEntities), ...(introspection ? [] : [landingPageDisabled<TContext>()])],
  };
}

/**
 * Apollo Server's own plugin, loaded only when it is needed, so that importing `graphql-sso`
 * loads nothing of Apollo Server (a subgraph on another server has none).
 */
function landingPageDisabled<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  const { ApolloServerPluginLandingPageDisabled } = requireFeature<typeof import('@apollo/server/plugin/disabled')>(
    'requestLimits()',
    '@apollo/server/plugin/disabled',
    import.meta.url,
  );
  return ApolloServerPluginLandingPageDisabled() as ApolloServerPlugin<TContext>;
}
