// ChatML recognised from the Jinja templates models ship, and rendered as they render it:
// SmolLM2's template (from its GGUF's tokenizer.chat_template) writes a default system turn.
import MoLAText
import Testing

@Suite struct ChatTemplateTests {
    static let smolLM2 = """
    {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
    You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
    ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
    ' + message['content'] + '<|im_end|>' + '
    '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
    ' }}{% endif %}
    """

    @Test func smolLM2sTemplateIsChatMLWithItsDefaultSystemPrompt() throws {
        let template = try #require(ChatTemplate(jinja: Self.smolLM2))
        #expect(template.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(template.render(user: "Hi") == """
        <|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        <|im_start|>user
        Hi<|im_end|>
        <|im_start|>assistant

        """)
        #expect(template.render(user: "Hi", system: "Be brief.").hasPrefix("<|im_start|>system\nBe brief.<|im_end|>\n"))
    }

    @Test func aTemplateWithoutADefaultSystemTurnWritesNone() throws {
        let qwenLike = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
        let template = try #require(ChatTemplate(jinja: qwenLike))
        #expect(template.defaultSystemPrompt == nil)
        #expect(template.render(user: "Hi") == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func otherTemplatesAreNotRecognised() {
        #expect(ChatTemplate(jinja: "{{ bos_token }}{% for message in messages %}[INST] {{ message['content'] }} [/INST]{% endfor %}") == nil)
    }
}
