"""A minimal valid open question as bank YAML, for the loader and command-line tests."""
import textwrap


def question_yaml(qid="routing-topk", topic="routing", difficulty="2", answer_en="Because.", extra=""):
    return textwrap.dedent(f"""\
        - id: {qid}
          type: open
          topic: {topic}
          tags: [router]
          difficulty: {difficulty}
          prompt: {{zh: 为什么, en: Why?}}
          answer:
            zh: 因为
            en: "{answer_en}"
          key_points:
            - {{zh: 一, en: one}}
            - {{zh: 二, en: two}}
            - {{zh: 三, en: three}}
          sources:
            - {{seed: 001_af5af4a038612498.txt, ref: Q4}}
        """) + extra
