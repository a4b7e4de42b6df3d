/**
 * The balancer: which models of a group to try, in what order, given the selector outcomes, the
 * models' health and their load. Pure logic; the caller classifies outcomes and reports them.
 */

export { createBalancer, type Balancer } from "./balancer";
export { HealthRegistry, DOWN_LEVEL, type HealthChange } from "./health";
export { NO_SELECTOR_MATCHED, type Clock, type Plan, type Random } from "./types";
