/**
 * A request as Codex CLI sends it on its third turn (codex-rs `ResponsesApiRequest`, anchors
 * §2.2): instructions, developer and user context messages, the user's task, then the turns so
 * far — reasoning with encrypted_content, a shell function call and its output, an apply_patch
 * custom tool call and its output. Tools: a function, a freeform tool with a Lark grammar, an MCP
 * namespace and a built-in web search.
 */

export const APPLY_PATCH_GRAMMAR = `start: begin_patch hunk+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

hunk: add_hunk | delete_hunk | update_hunk
add_hunk: "*** Add File: " filename LF add_line+
delete_hunk: "*** Delete File: " filename LF
update_hunk: "*** Update File: " filename LF change_move? change?

filename: /(.+)/
add_line: "+" /(.*)/ LF -> line

change_move: "*** Move to: " filename LF
change: (change_context | change_line)+ eof_line?
change_context: ("@@" | "@@ " /(.+)/) LF
change_line: ("+" | "-" | " ") /(.*)/ LF
eof_line: "*** End of File" LF

%import common.LF
`;

export const PATCH = `*** Begin Patch
*** Update File: notes.txt
@@
-hello
+hello, world
*** End Patch
`;

export const codexRequest = () => ({
  model: "codex-group",
  instructions: "You are Codex, a coding agent running in a terminal.",
  input: [
    {
      type: "message",
      role: "developer",
      content: [
        {
          type: "input_text",
          text: "<permissions instructions>sandbox: workspace-write</permissions instructions>",
        },
      ],
    },
    {
      type: "message",
      role: "user",
      content: [
        {
          type: "input_text",
          text: "<environment_context><cwd>/work/demo</cwd></environment_context>",
        },
      ],
    },
    {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "Read notes.txt, then change hello to hello, world." }],
    },
    {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "**Reading the file**" }],
      content: null,
      encrypted_content: "gAAAAABo-enc-1",
    },
    {
      type: "function_call",
      name: "shell",
      arguments: '{"command":["cat","notes.txt"],"workdir":"/work/demo"}',
      call_id: "call_shell_1",
    },
    { type: "function_call_output", call_id: "call_shell_1", output: "hello\n" },
    { type: "reasoning", summary: [], encrypted_content: "gAAAAABo-enc-2" },
    {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "The file says hello; patching it now." }],
      phase: "commentary",
    },
    { type: "custom_tool_call", call_id: "call_patch_1", name: "apply_patch", input: PATCH },
    {
      type: "custom_tool_call_output",
      call_id: "call_patch_1",
      output: "Success. Updated the following files:\nM notes.txt\n",
    },
    {
      type: "function_call",
      name: "search",
      namespace: "mcp__docs",
      arguments: '{"query":"lark grammar"}',
      call_id: "call_docs_1",
    },
    {
      type: "function_call_output",
      call_id: "call_docs_1",
      output: [{ type: "input_text", text: "Lark is a parsing toolkit." }],
    },
  ],
  tools: [
    {
      type: "function",
      name: "shell",
      description: "Runs a shell command and returns its output.",
      strict: false,
      parameters: {
        type: "object",
        properties: {
          command: { type: "array", items: { type: "string" } },
          workdir: { type: "string" },
          timeout_ms: { type: "number" },
        },
        required: ["command"],
        additionalProperties: false,
      },
    },
    {
      type: "custom",
      name: "apply_patch",
      description: "Use the `apply_patch` tool to edit files.",
      format: { type: "grammar", syntax: "lark", definition: APPLY_PATCH_GRAMMAR },
    },
    {
      type: "namespace",
      name: "mcp__docs",
      description: "Tools of the docs MCP server.",
      tools: [
        {
          type: "function",
          name: "search",
          description: "Searches the docs.",
          strict: false,
          parameters: {
            type: "object",
            properties: { query: { type: "string" } },
            required: ["query"],
          },
        },
      ],
    },
    { type: "web_search", external_web_access: false },
  ],
  tool_choice: "auto",
  parallel_tool_calls: false,
  reasoning: { effort: "medium", summary: "auto" },
  store: false,
  stream: true,
  include: ["reasoning.encrypted_content"],
  prompt_cache_key: "019a-thread-id",
  text: { verbosity: "low" },
  client_metadata: { "x-codex-installation-id": "inst-1" },
});
