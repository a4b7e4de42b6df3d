// Mocks of the providers the README's recipes route to, each as strict as the provider where a
// recipe depends on it (tests/docs/providers.test.ts).
export { startProvider } from "./server";
export { dashscope } from "./profiles/dashscope";
export { deepseek } from "./profiles/deepseek";
export { zhipuAnthropic, zhipuOpenAI } from "./profiles/zhipu";
export { moonshot } from "./profiles/moonshot";
export { azure, openrouter } from "./profiles/hosted";
export { ollama, vllm } from "./profiles/local";
export type { ProviderMock, Seen } from "./types";
