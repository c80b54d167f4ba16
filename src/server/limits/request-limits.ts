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
  /** No "Did you mean" suggestions in validation errors where `suggestions` is off (by default in production). */
  hideSchemaDetailsFromClientErrors: boolean;
  /** A batch cannot be capped from inside Apollo Server; the identity service caps its own. */
  allowBatchedHttpRequests: false;
  /**
   * The `limits.maxEntities` cap; the landing page turned off with introspection; federation's
   * inline traces (`ftv1`) turned off with `federationTraces`. Merge with your own plugins.
   */
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
 * when introspection is off (by default where `NODE_ENV` is `production`), no landing page either;
 * in production also no "Did you mean" suggestions (`suggestions`) and no federation inline
 * traces (`ftv1`, `federationTraces`) unless the settings turn them on.
 * The token length limit is `createSsoContext`'s; the body size is the HTTP server's (Apollo's
 * `startStandaloneServer` takes 50 MB, Express its `json({ limit })`).
 *
 * ```ts
 * const limits = requestLimits(settings);
 * new ApolloServer({ schema, ...limits, plugins: [...limits.plugins, myPlugin] });
 * ```
 */
export function requestLimits<TContext extends BaseContext = BaseContext>(
  settings: Pick<SsoSettings, 'limits' | 'introspection'> & Partial<Pick<SsoSettings, 'suggestions' | 'federationTraces'>>,
  { nodeEnv = process.env.NODE_ENV }: RequestLimitsOptions = {},
): ApolloRequestLimits<TContext> {
  const production = nodeEnv === 'production';
  const introspection = settings.introspection ?? !production;
  const suggestions = settings.suggestions ?? !production;
  const federationTraces = settings.federationTraces ?? !production;
  const disabled = introspection && federationTraces ? null : disabledPlugins();
  return {
    validationRules: [operationLimitsRule(settings.limits)],
    introspection,
    csrfPrevention: true,
    hideSchemaDetailsFromClientErrors: !suggestions,
    allowBatchedHttpRequests: false,
    plugins: [
      entitiesLimitPlugin<TContext>(settings.limits.maxEntities),
      ...(introspection ? [] : [disabled!.ApolloServerPluginLandingPageDisabled() as ApolloServerPlugin<TContext>]),
      ...(federationTraces ? [] : [disabled!.ApolloServerPluginInlineTraceDisabled() as ApolloServerPlugin<TContext>]),
    ],
  };
}

/**
 * Apollo Server's own plugins, loaded only when they are needed, so that importing `graphql-sso`
 * loads nothing of Apollo Server (a subgraph on another server has none).
 */
function disabledPlugins(): typeof import('@apollo/server/plugin/disabled') {
  return requireFeature<typeof import('@apollo/server/plugin/disabled')>(
    'requestLimits()',
    '@apollo/server/plugin/disabled',
    import.meta.url,
  );
}
