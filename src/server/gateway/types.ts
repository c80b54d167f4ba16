/** Where a subgraph is: its name in the supergraph (`join__Graph`) and its GraphQL endpoint. */
export interface SubgraphEndpoint {
  name: string;
  url: string;
}
